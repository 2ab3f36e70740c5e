//! `xtask-aws`: the workshop runner (the `xtask` library, every command)
//! with the AWS SDKs that only the AWS commands need plugged in:
//! CloudFormation (`--target aws` reads the stack's outputs; the deploy
//! rehearsal creates stacks), CloudWatch Logs (`lesson step3 run --real
//! --target aws` reads the worker's commit lines) and S3 (the rehearsal's
//! artifacts). `cargo xtask` runs this binary when a command needs them
//! (see `xtask::aws_sdks`), so a local lesson never compiles them.

mod rehearsal;

use std::process::ExitCode;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use xtask::aws_sdks::{AwsSdks, BoxFuture, StackDescription};
use xtask::lesson::aws::sdk_error;

/// The SDK calls of [`AwsSdks`].
struct Sdks;

impl AwsSdks for Sdks {
    fn describe_stack<'a>(
        &'a self,
        sdk: &'a SdkConfig,
        stack: &'a str,
    ) -> BoxFuture<'a, Result<Option<StackDescription>>> {
        Box::pin(async move {
            let cloudformation = aws_sdk_cloudformation::Client::new(sdk);
            let answer = match cloudformation
                .describe_stacks()
                .stack_name(stack)
                .send()
                .await
            {
                Ok(answer) => answer,
                // AWS answers a missing stack with ValidationError "Stack with
                // id X does not exist".
                Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => {
                    return Ok(None);
                }
                Err(e) => anyhow::bail!(sdk_error("DescribeStacks", &e)),
            };
            Ok(answer.stacks().first().map(|stack| StackDescription {
                status: stack
                    .stack_status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                outputs: stack
                    .outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((o.output_key()?.to_owned(), o.output_value()?.to_owned()))
                    })
                    .collect(),
            }))
        })
    }

    fn log_events<'a>(
        &'a self,
        sdk: &'a SdkConfig,
        group: &'a str,
        start_ms: i64,
        pattern: &'a str,
    ) -> BoxFuture<'a, Result<Vec<(i64, String)>>> {
        Box::pin(async move {
            let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
            let mut pages = logs
                .filter_log_events()
                .log_group_name(group)
                .start_time(start_ms)
                .filter_pattern(pattern)
                .into_paginator()
                .send();
            let mut events = Vec::new();
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(page) => page,
                    // No invocation yet: Lambda makes the log group at the first one.
                    Err(e)
                        if aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata::code(&e)
                            == Some("ResourceNotFoundException") =>
                    {
                        return Ok(Vec::new());
                    }
                    Err(e) => anyhow::bail!(sdk_error("FilterLogEvents", &e)),
                };
                events.extend(page.events().iter().filter_map(|event| {
                    Some((event.timestamp().unwrap_or(0), event.message()?.to_owned()))
                }));
            }
            Ok(events)
        })
    }

    fn deploy_rehearsal(&self) -> Result<ExitCode> {
        rehearsal::run()
    }
}

fn main() -> ExitCode {
    xtask::main_with(Some(&Sdks))
}
