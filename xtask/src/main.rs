//! `cargo xtask`: the workshop runner without the AWS SDKs beyond SQS; a
//! command that needs them is run again by `xtask-aws` (see
//! `xtask::aws_sdks`).

fn main() -> std::process::ExitCode {
    xtask::main_with(None)
}
