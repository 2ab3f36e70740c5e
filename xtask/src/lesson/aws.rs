//! The lesson as deployed on AWS: `--target aws [--stage S] [--region R]`.
//!
//! Where things are comes from the deployed stack's outputs, read with
//! CloudFormation's `DescribeStacks` (the stack `osls deploy` made is named
//! `<service>-<stage>`): `HttpApiUrl` for `invoke`, `loop` and `loadtest`,
//! and serverless-lift's queue outputs (`<construct>QueueUrl…`,
//! `<construct>DlqUrl…`) for the queue commands. Every call goes through the
//! Rust SDK with the user's own configuration (`aws_config::defaults`), so
//! `AWS_PROFILE`, SSO profiles, `AWS_ENDPOINT_URL` and the other standard
//! settings apply; `DescribeStacks` itself is one of the calls `xtask-aws`
//! makes ([`crate::aws_sdks`]). The region is the one the stack was deployed to:
//! serverless.yml's `provider.region` unless `--region` says otherwise, as
//! `osls deploy` decides it.

#[cfg(feature = "sdk")]
use std::collections::BTreeMap;
#[cfg(feature = "sdk")]
use std::time::Duration;

#[cfg(feature = "sdk")]
use anyhow::Context;
use anyhow::{Result, bail};
#[cfg(feature = "sdk")]
use aws_config::{BehaviorVersion, Region, SdkConfig};
#[cfg(feature = "sdk")]
use aws_sdk_sqs::config::ProvideCredentials;
#[cfg(feature = "sdk")]
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use clap::{Args, ValueEnum};
use localcloud::config::{ResolveContext, ServerlessConfig};

use super::stack::Lesson;
#[cfg(feature = "sdk")]
use super::stack::work_queue_and_dlq;

/// Where a command acts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// localcloud on this machine (the lesson's running `up`).
    #[default]
    Local,
    /// The stack `cargo xtask lesson <step> deploy` made on AWS.
    Aws,
}

#[derive(Args, Clone, Debug, Default)]
pub struct TargetArgs {
    /// Where the lesson runs: local (localcloud) or aws (the deployed stack).
    #[arg(long, value_enum, default_value_t = Target::Local, global = true)]
    pub target: Target,
    /// With --target aws: the stage it was deployed to (default: serverless.yml's, else dev).
    #[arg(long, global = true)]
    pub stage: Option<String>,
    /// With --target aws: its region (default: serverless.yml's provider.region).
    #[arg(long, global = true)]
    pub region: Option<String>,
}

impl TargetArgs {
    /// Whether the command aims at AWS; `--stage`/`--region` without it is
    /// refused rather than ignored.
    pub fn is_aws(&self) -> Result<bool> {
        if self.target == Target::Local && (self.stage.is_some() || self.region.is_some()) {
            bail!("--stage and --region name a deployed stack: add --target aws");
        }
        Ok(self.target == Target::Aws)
    }
}

/// Which stack a lesson deploys to, decided as `osls` decides it.
pub struct Placement {
    pub config: ServerlessConfig,
    pub stage: String,
    pub region: String,
    /// `<service>-<stage>`, the CloudFormation stack's name.
    pub stack_name: String,
}

impl Placement {
    pub fn of(lesson: &Lesson, stage: Option<&str>, region: Option<&str>) -> Result<Self> {
        if let Some(stage) = stage {
            check_stage(stage)?;
        }
        if let Some(region) = region {
            check_region(region)?;
        }
        let context = ResolveContext {
            stage: stage.map(str::to_owned),
            region: region.map(str::to_owned),
            ..Default::default()
        };
        let config = ServerlessConfig::from_file_with(lesson.serverless_yml(), &context)?;
        let stage = config.provider.stage.clone();
        let region = config.provider.region.clone();
        Ok(Self {
            stack_name: format!("{}-{stage}", config.service),
            config,
            stage,
            region,
        })
    }
}

/// A stage becomes part of a CloudFormation stack name and of every
/// resource name: letters, digits and hyphens (CloudFormation's
/// `[a-zA-Z][-a-zA-Z0-9]*` for the whole stack name).
fn check_stage(stage: &str) -> Result<()> {
    let ok = !stage.is_empty()
        && stage.len() <= 64
        && stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        bail!("--stage {stage:?}: use letters, digits and hyphens (e.g. dev, prod, alice-test)");
    }
    Ok(())
}

/// `ap-northeast-2`, `us-gov-west-1`: lowercase words and a number.
fn check_region(region: &str) -> Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if !ok {
        bail!("--region {region:?} is not an AWS region name (e.g. ap-northeast-2, us-east-1)");
    }
    Ok(())
}

#[cfg(feature = "sdk")]
/// The user's AWS configuration (profile, SSO, environment, endpoint
/// overrides) for `region`.
pub async fn sdk_config(region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .load()
        .await
}

#[cfg(feature = "sdk")]
/// How to give the tools credentials; one line.
pub const NO_CREDENTIALS: &str = "no AWS credentials found: run `aws configure` (access keys), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or `aws sso login --profile NAME` then export AWS_PROFILE=NAME; then run this again";

#[cfg(feature = "sdk")]
/// Fails with [`NO_CREDENTIALS`] unless the standard chain (environment,
/// shared files and profiles, SSO, container and instance roles) yields
/// credentials, within a few seconds.
pub async fn require_credentials(sdk: &SdkConfig) -> Result<()> {
    let Some(provider) = sdk.credentials_provider() else {
        bail!(NO_CREDENTIALS);
    };
    match tokio::time::timeout(Duration::from_secs(10), provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) | Err(_) => bail!(NO_CREDENTIALS),
    }
}

#[cfg(feature = "sdk")]
/// An SDK error as one line: AWS's code and message when AWS answered,
/// else the whole chain (DNS, TLS, timeouts...).
pub fn sdk_error<E, R>(operation: &str, e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{operation}: {code}: {message}"),
        (Some(code), None) => format!("{operation}: {code}"),
        _ => format!("{operation}: {}", DisplayErrorContext(e)),
    }
}

#[cfg(feature = "sdk")]
/// The deployed lesson: its stack's outputs, and the SDK configuration to
/// reach it.
pub struct Deployed {
    pub stack_name: String,
    pub sdk: SdkConfig,
    pub outputs: BTreeMap<String, String>,
    config: ServerlessConfig,
}

#[cfg(feature = "sdk")]
impl Deployed {
    /// `DescribeStacks` of the lesson's stack; a clear line when there are
    /// no credentials, no such stack, or the stack is not in a usable state.
    pub async fn find(lesson: &Lesson, target: &TargetArgs) -> Result<Self> {
        let placement = Placement::of(lesson, target.stage.as_deref(), target.region.as_deref())?;
        let sdk = sdk_config(&placement.region).await;
        require_credentials(&sdk).await?;
        let stack = crate::aws_sdks::get()?
            .describe_stack(&sdk, &placement.stack_name)
            .await?
            .with_context(|| {
                format!(
                    "no stack {} in {}: deploy it with `cargo xtask lesson {} deploy`, or pass the --stage and --region it was deployed with",
                    placement.stack_name, placement.region, lesson.name
                )
            })?;
        let status = stack.status;
        if !matches!(
            status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
        ) {
            bail!(
                "stack {} in {} is {status}: wait for the deploy to finish, or look at it in the CloudFormation console",
                placement.stack_name,
                placement.region
            );
        }
        Ok(Self {
            stack_name: placement.stack_name,
            sdk,
            outputs: stack.outputs,
            config: placement.config,
        })
    }

    /// The HTTP API's base URL (output `HttpApiUrl`).
    pub fn http_url(&self) -> Result<String> {
        self.outputs.get("HttpApiUrl").cloned().with_context(|| {
            format!(
                "stack {} has no HttpApiUrl output: {:?}",
                self.stack_name,
                self.outputs.keys().collect::<Vec<_>>()
            )
        })
    }

    /// The work queue's and its DLQ's URLs, from the outputs whose value
    /// is a URL ending with their names (serverless-lift's `…QueueUrl…` and
    /// `…DlqUrl…`).
    pub fn queue_urls(&self) -> Result<(String, String)> {
        let (queue, dlq) = work_queue_and_dlq(&self.config)?;
        let url_of = |name: &str| {
            let suffix = format!("/{name}");
            self.outputs
                .values()
                .find(|v| v.starts_with("http") && v.ends_with(&suffix))
                .cloned()
                .with_context(|| {
                    format!(
                        "stack {} has no output with the URL of queue {name}: {:?}",
                        self.stack_name, self.outputs
                    )
                })
        };
        Ok((url_of(&queue.name)?, url_of(dlq)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_and_regions_are_checked_before_any_call() {
        for good in ["dev", "prod", "alice-test", "Stage2"] {
            assert!(check_stage(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "dev/1", "ünï", &"x".repeat(65)] {
            let e = check_stage(bad).unwrap_err().to_string();
            assert!(e.contains("letters, digits and hyphens"), "{bad}: {e}");
        }
        for good in [
            "ap-northeast-2",
            "us-east-1",
            "us-gov-west-1",
            "eu-central-2",
        ] {
            assert!(check_region(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "seoul",
            "ap-northeast",
            "AP-NORTHEAST-2",
            "ap--2",
            "us-east-1a",
        ] {
            let e = check_region(bad).unwrap_err().to_string();
            assert!(e.contains("is not an AWS region name"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_stack_is_named_as_osls_names_it() {
        let lesson = super::super::LessonId::Step2.lesson();
        let default = Placement::of(&lesson, None, None).unwrap();
        assert_eq!(default.stack_name, "tutorial-step-2-dev");
        assert_eq!(default.region, "ap-northeast-2");
        let other = Placement::of(&lesson, Some("prod"), Some("us-east-1")).unwrap();
        assert_eq!(other.stack_name, "tutorial-step-2-prod");
        assert_eq!(other.region, "us-east-1");
        assert_eq!(
            super::super::stack::work_queue(&other.config).unwrap().name,
            "tutorial-step-2-prod-jobs"
        );
    }

    #[test]
    fn stage_and_region_without_target_aws_are_refused() {
        let args = TargetArgs {
            stage: Some("prod".into()),
            ..Default::default()
        };
        assert!(
            args.is_aws()
                .unwrap_err()
                .to_string()
                .contains("add --target aws")
        );
        let aws = TargetArgs {
            target: Target::Aws,
            ..Default::default()
        };
        assert!(aws.is_aws().unwrap());
        assert!(!TargetArgs::default().is_aws().unwrap());
    }
}
