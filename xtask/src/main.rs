//! `cargo xtask`: the workshop runner.
//!
//! Plain Rust (clap + xshell), so it runs the same on every machine; it is
//! the only entry point a learner or CI needs:
//!
//! ```text
//! cargo xtask lesson step1 run        # boot localcloud, play the scenario, report
//! cargo xtask lesson step1 up         # serve until Ctrl-C
//! cargo xtask lesson step1 invoke '{"input": 1}'
//! cargo xtask localcloud up --config path/to/serverless.yml
//! cargo xtask bench step1|sqs
//! cargo xtask compare-moto            # localcloud's SQS vs moto's, scenario by scenario
//! cargo xtask setup                   # install the pinned external tools into .tools/
//! cargo xtask ci                      # everything CI checks
//! ```

mod bench;
mod bench_sqs;
mod bench_step2;
mod cfn_check;
mod ci;
mod compare_moto;
mod lesson;
mod localcloud_cmd;
mod paths;
mod pipeline;
mod setup;
mod sqs_checks;
mod sqs_client;
mod tools;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "The serverless queue workshop runner",
    version
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run, serve or call one lesson (locally on localcloud, or any URL).
    Lesson(lesson::LessonArgs),
    /// Serve any serverless.yml with localcloud.
    Localcloud(localcloud_cmd::LocalcloudArgs),
    /// Measure localcloud side by side with a reference on this machine.
    Bench(bench::BenchArgs),
    /// Everything CI checks: fmt, clippy (warnings denied), all tests.
    Ci(ci::CiArgs),
    /// Run one SQS scenario suite against localcloud and moto's server; show the differences.
    CompareMoto(compare_moto::CompareMotoArgs),
    /// Hold localcloud's reading of serverless.yml against `osls package`'s CloudFormation.
    CfnCheck(cfn_check::CfnCheckArgs),
    /// Install the external tools into .tools/ (pinned).
    Setup(setup::SetupArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lesson(args) => lesson::run(args),
        Command::Localcloud(args) => localcloud_cmd::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Ci(args) => ci::run(args),
        Command::Setup(args) => setup::run(args),
        Command::CfnCheck(args) => cfn_check::run(args),
        Command::CompareMoto(args) => compare_moto::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tidy {
    //! The docs name only commands the CLI accepts.

    use clap::Parser;

    /// Every `` `cargo xtask ...` `` in a Markdown file, without its optional
    /// `[...]` parts, split into arguments ('quoted' text is one argument).
    fn commands(markdown: &str) -> Vec<Vec<String>> {
        let mut found = Vec::new();
        // Inline `code` and the lines of ``` blocks (comments cut).
        let inline = markdown.split('`').skip(1).step_by(2);
        let lines = markdown
            .lines()
            .map(|l| l.split(" #").next().unwrap_or_default().trim());
        for piece in inline.chain(lines) {
            let Some(rest) = piece.strip_prefix("cargo xtask ") else {
                continue;
            };
            let mut without_optional = String::new();
            let mut depth = 0;
            for c in rest.chars() {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ if depth == 0 => without_optional.push(c),
                    _ => {}
                }
            }
            let mut args = vec!["cargo xtask".to_owned()];
            for (i, part) in without_optional.split('\'').enumerate() {
                if i % 2 == 1 {
                    args.push(part.to_owned());
                } else {
                    args.extend(part.split_whitespace().map(str::to_owned));
                }
            }
            // `A|B` lists alternatives: take the first.
            let args = args
                .into_iter()
                .map(|a| a.split('|').next().unwrap_or_default().to_owned())
                .collect();
            found.push(args);
        }
        found
    }

    #[test]
    fn every_documented_command_parses() {
        let root = crate::paths::root();
        let mut checked = 0;
        for file in [
            "README.md",
            "docs/commands.md",
            "lessons/step1-http/README.md",
            "lessons/step2-sqs/README.md",
        ] {
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            for args in commands(&text) {
                if let Err(e) = super::Cli::try_parse_from(&args)
                    && e.kind() != clap::error::ErrorKind::DisplayHelp
                {
                    panic!("{file}: `{}` does not parse:\n{e}", args.join(" "));
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} commands found in the docs");
    }
}
