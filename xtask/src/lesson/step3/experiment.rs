//! Running one scenario of the lesson: the engine is the shared
//! `step3_experiment` crate (the step-3 exercises' checks run it too); this
//! gives it the lesson's serverless.yml, edited for the scenario, and the
//! lesson's code: in process under the paused clock (virtual), or the
//! `bootstrap` processes cargo built (real).

use anyhow::{Context, Result};
use localcloud::config::{ResolveContext, ServerlessConfig};
use localcloud::sqs::StaleDelete;

pub use step3_experiment::{
    EPOCH_MILLIS, Invocation, MakeConfig, Mode, Record, Watch, in_process_stack, parse_commit,
    sdk_client, setting_of,
};

use super::scenario::Scenario;
use crate::lesson::stack::{Lesson, Profile};

/// The scenario's serverless.yml, read.
pub fn config_of(
    lesson: &Lesson,
    scenario: Scenario,
    work_seconds: u32,
    context: &ResolveContext,
) -> Result<ServerlessConfig> {
    let lesson_file = std::fs::read_to_string(lesson.serverless_yml())
        .with_context(|| format!("reading {}", lesson.serverless_yml().display()))?;
    let text = scenario.serverless_yml(&lesson_file, work_seconds)?;
    Ok(ServerlessConfig::from_str_with(
        &text,
        &lesson.serverless_yml(),
        context,
    )?)
}

/// Runs one scenario of the lesson to its end.
pub async fn run(
    lesson: &Lesson,
    scenario: Scenario,
    mode: Mode,
    jobs: u32,
    work_seconds: u32,
    lowered_visibility: u32,
    stale_delete: StaleDelete,
) -> Result<Record> {
    run_with_watch(
        lesson,
        scenario,
        mode,
        jobs,
        work_seconds,
        lowered_visibility,
        stale_delete,
        None,
    )
    .await
}

/// [`run`], with `watch` told of the record as it grows (the live lines of
/// `--real`).
#[allow(clippy::too_many_arguments)]
pub async fn run_with_watch(
    lesson: &Lesson,
    scenario: Scenario,
    mode: Mode,
    jobs: u32,
    work_seconds: u32,
    lowered_visibility: u32,
    stale_delete: StaleDelete,
    watch: Option<&Watch<'_>>,
) -> Result<Record> {
    let make_config = |context: &ResolveContext| config_of(lesson, scenario, work_seconds, context);
    run_with_config(
        lesson,
        scenario,
        mode,
        jobs,
        work_seconds,
        lowered_visibility,
        stale_delete,
        &make_config,
        watch,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
/// [`run`] with the serverless.yml read by `make_config` (an exercise's
/// file instead of the lesson's).
pub async fn run_with(
    lesson: &Lesson,
    scenario: Scenario,
    mode: Mode,
    jobs: u32,
    work_seconds: u32,
    lowered_visibility: u32,
    stale_delete: StaleDelete,
    make_config: &MakeConfig<'_>,
) -> Result<Record> {
    run_with_config(
        lesson,
        scenario,
        mode,
        jobs,
        work_seconds,
        lowered_visibility,
        stale_delete,
        make_config,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn run_with_config(
    lesson: &Lesson,
    scenario: Scenario,
    mode: Mode,
    jobs: u32,
    work_seconds: u32,
    lowered_visibility: u32,
    stale_delete: StaleDelete,
    make_config: &MakeConfig<'_>,
    watch: Option<&Watch<'_>>,
) -> Result<Record> {
    let make_stack = |config, lambda, sqs, worker_key: &str| match mode {
        Mode::Virtual => in_process_stack(
            config,
            lambda,
            sqs,
            worker_key,
            &step3_experiment::worker_of!(step3_dlq_visibility),
        ),
        Mode::Real => lesson.stack_with_config(config, lambda, Profile::Debug, Some(sqs)),
    };
    step3_experiment::run_watched(
        scenario,
        mode,
        jobs,
        work_seconds,
        lowered_visibility,
        stale_delete,
        make_config,
        &make_stack,
        watch,
    )
    .await
}
