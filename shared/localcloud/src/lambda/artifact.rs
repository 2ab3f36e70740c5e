//! From a deployment package to something that runs.
//!
//! A custom-runtime function is a zip whose root holds an executable named
//! `bootstrap` (docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html).
//! localcloud unpacks it into a private folder, the function's task root, so
//! any custom runtime runs, not only ours: Rust, a shell script, Python...
//! A folder holding `bootstrap` is used in place.

use std::path::{Path, PathBuf};

/// Where a function's code lives once it is ready to run.
#[derive(Debug)]
pub struct TaskRoot {
    pub dir: PathBuf,
    pub bootstrap: PathBuf,
    /// Keeps an unpacked zip alive as long as the function is.
    _unpacked: Option<tempfile::TempDir>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error(
        "{path}: the artifact does not exist (build it first; for a Rust function: cargo lambda build --release)"
    )]
    Missing { path: PathBuf },
    #[error("{path}: cannot unpack the zip: {reason}")]
    BadZip { path: PathBuf, reason: String },
    #[error("{path}: no executable `bootstrap` at the root of the package")]
    NoBootstrap { path: PathBuf },
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl TaskRoot {
    /// A zip (`bootstrap.zip`) or a folder that holds `bootstrap`.
    pub fn from_artifact(path: &Path) -> Result<Self, ArtifactError> {
        let meta = std::fs::metadata(path).map_err(|_| ArtifactError::Missing {
            path: path.to_owned(),
        })?;
        if meta.is_dir() {
            return Self::from_dir(path.to_owned(), None, path);
        }
        let io = |error| ArtifactError::Io {
            path: path.to_owned(),
            error,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut archive = zip::ZipArchive::new(file).map_err(|e| ArtifactError::BadZip {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let dir = tempfile::Builder::new()
            .prefix("localcloud-task-")
            .tempdir()
            .map_err(io)?;
        archive
            .extract(dir.path())
            .map_err(|e| ArtifactError::BadZip {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let root = dir.path().to_owned();
        Self::from_dir(root, Some(dir), path)
    }

    /// A bootstrap executable given directly (a `cargo build` output): its
    /// folder is the task root.
    pub fn from_executable(bootstrap: &Path) -> Result<Self, ArtifactError> {
        if !bootstrap.is_file() {
            return Err(ArtifactError::Missing {
                path: bootstrap.to_owned(),
            });
        }
        let dir = bootstrap
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Self {
            dir,
            bootstrap: bootstrap.to_owned(),
            _unpacked: None,
        })
    }

    fn from_dir(
        dir: PathBuf,
        unpacked: Option<tempfile::TempDir>,
        artifact: &Path,
    ) -> Result<Self, ArtifactError> {
        let bootstrap = dir.join("bootstrap");
        if !bootstrap.is_file() {
            return Err(ArtifactError::NoBootstrap {
                path: artifact.to_owned(),
            });
        }
        make_executable(&bootstrap).map_err(|error| ArtifactError::Io {
            path: bootstrap.clone(),
            error,
        })?;
        Ok(Self {
            dir,
            bootstrap,
            _unpacked: unpacked,
        })
    }
}

/// Zips made on Windows or by some tools lose the executable bit; Lambda
/// needs it, and so do we.
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)?.permissions();
    if permissions.mode() & 0o111 == 0 {
        permissions.set_mode(permissions.mode() | 0o755);
        std::fs::set_permissions(path, permissions)?;
    }
    Ok(())
}
