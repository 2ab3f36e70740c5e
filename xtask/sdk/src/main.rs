//! `xtask-sdk`: the workshop runner (the `xtask` library) with the AWS SDK
//! for Rust, the SQS and DynamoDB clients steps 2 and 3 use. `cargo xtask`
//! runs this binary when a command needs it (see `xtask::aws_sdks`), so the
//! first lesson never compiles the SDK.

fn main() -> std::process::ExitCode {
    xtask::rerun::this_package_is(xtask::aws_sdks::SDK_BINARY);
    xtask::main()
}
