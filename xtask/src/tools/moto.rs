//! moto's server (from the project's virtualenv), the independent SQS
//! implementation that benchmarks and `compare-moto` measure against.

use anyhow::{Context, Result};

use super::wait_for_port;

/// moto's server from the project's virtualenv, on a free 127.0.0.1 port;
/// stopped when dropped.
pub struct MotoServer {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>/`
    pub url: String,
}

impl MotoServer {
    pub fn start(venv: &std::path::Path) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = std::process::Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting moto_server")?;
        let server = Self {
            child,
            url: format!("http://127.0.0.1:{port}/"),
        };
        wait_for_port(port, std::time::Duration::from_secs(60)).context("moto_server")?;
        Ok(server)
    }
}

impl MotoServer {
    /// The server's process id (its CPU time is read from /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
