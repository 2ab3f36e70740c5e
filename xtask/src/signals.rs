//! How a long-running command learns it should stop.

use anyhow::Result;

/// Resolves on Ctrl-C or SIGTERM (what `kill` and process managers send):
/// either way the command shuts down what it started, and cleans up.
pub async fn stopped() -> Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
