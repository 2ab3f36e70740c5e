//! `cargo xtask`: the workshop runner without the AWS SDK (step 1,
//! localcloud); a command that needs it is run again by `xtask-aws` (see
//! `xtask::aws_sdks`).

// Before anything else fails: the runner and localcloud need a Unix (exec,
// process groups, pipes' FIONREAD, executable bits). ARCHITECTURE.md lists
// what is Linux-only and Unix-only.
#[cfg(windows)]
compile_error!(
    "the workshop does not build on native Windows: open it in WSL2 (Ubuntu), with rustup installed inside WSL and the repository cloned in the WSL file system (see README.md, Which machines)"
);

fn main() -> std::process::ExitCode {
    xtask::main()
}
