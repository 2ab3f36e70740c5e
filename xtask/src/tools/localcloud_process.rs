//! `cargo xtask localcloud up` as a child process of this binary, for checks
//! that drive localcloud over TCP with clients of other languages.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use super::wait_for_port;

/// A `cargo xtask localcloud up` child, stopped with Ctrl-C when dropped.
pub struct LocalcloudProcess {
    child: Child,
    pub sqs_url: String,
}

impl LocalcloudProcess {
    /// Starts SQS alone on a free port and waits until it accepts connections.
    pub fn start_sqs() -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(crate::paths::this_exe()?)
            .args(["localcloud", "up", "--sqs-port", &port.to_string()])
            // Any free port: checks run beside a learner's console on 9325.
            .args(["--console-port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting localcloud")?;
        let process = Self {
            child,
            sqs_url: format!("http://127.0.0.1:{port}"),
        };
        wait_for_port(port, Duration::from_secs(30)).context("localcloud up")?;
        Ok(process)
    }
}

impl Drop for LocalcloudProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
