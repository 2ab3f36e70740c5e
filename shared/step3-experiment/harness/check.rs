//! The check program of a step-3 exercise crate (`<package>-check`, made by
//! `cargo xtask exercise`): the step-3 experiment with the learner's worker
//! (the crate's `step3_dlq_visibility` library, which is the learner's
//! copy of the lesson's), in virtual time, its record printed as JSON for
//! `cargo xtask exercise check` to judge with the lesson's rules.
//!
//! ```text
//! <package>-check <serverless.yml> <scenario> <work-seconds> <visibility> <jobs> <heartbeat on|off>
//! ```

use std::process::ExitCode;

use step3_experiment::localcloud::config::ResolveContext;
use step3_experiment::scenario::Scenario;
use step3_experiment::{Mode, in_process_stack, worker_of};

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, scenario, work, visibility, jobs, heartbeat] = args.as_slice() else {
        anyhow::bail!(
            "usage: <serverless.yml> <scenario> <work-seconds> <visibility> <jobs> <heartbeat on|off>"
        );
    };
    let scenario = <Scenario as clap::ValueEnum>::from_str(scenario, true)
        .map_err(|e| anyhow::anyhow!("scenario {scenario:?}: {e}"))?;
    let work: u32 = work.parse()?;
    let visibility: u32 = visibility.parse()?;
    let jobs: u32 = jobs.parse()?;
    let environment = step3_experiment::worker_environment(scenario, work, heartbeat == "on");
    let make_config = |context: &ResolveContext| {
        step3_experiment::config_with_worker_env(path.as_ref(), context, &environment)
    };
    let make_stack = |config, lambda, sqs, worker_key: &str| {
        in_process_stack(
            config,
            lambda,
            sqs,
            worker_key,
            &worker_of!(step3_dlq_visibility),
        )
    };
    // Virtual time takes milliseconds: 2 s of real time without the
    // runtime going idle means the worker blocks its thread.
    let (runtime, watchdog) =
        step3_experiment::watchdog::watched_runtime(std::time::Duration::from_secs(2), || {
            eprintln!("{}", step3_experiment::watchdog::BLOCKED);
            std::process::exit(3);
        })?;
    let record = watchdog.block_on(
        &runtime,
        step3_experiment::run(
            scenario,
            Mode::Virtual,
            jobs,
            work,
            visibility,
            step3_experiment::localcloud::sqs::StaleDelete::Keep,
            &make_config,
            &make_stack,
        ),
    )?;
    Ok(serde_json::to_string(&record)?)
}
