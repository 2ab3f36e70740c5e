//! `cargo xtask deploy-rehearsal`: each lesson's stack deployed into moto's
//! server instead of AWS, then the `--target aws` commands moto can serve
//! run against it, exactly as a learner types them, with `AWS_ENDPOINT_URL`
//! pointing at moto.
//!
//! How the stack gets there: `osls` (AWS SDK for JavaScript v2) ignores
//! `AWS_ENDPOINT_URL` and asks the real STS who it is, so `osls deploy`
//! cannot be pointed at moto. The rehearsal does what `osls deploy` does
//! after packaging, with the Rust SDK: the template `osls package` writes
//! (stand-in artifacts: moto creates functions but never runs them), its
//! artifacts uploaded to a deployment bucket, then CloudFormation
//! `CreateStack` and a wait for `CREATE_COMPLETE`.
//!
//! What moto cannot stand in for is listed at the end of the run
//! ([`NOT_REHEARSED`]): those need a real account.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::types::{Capability, StackStatus};
use serde_json::Value;
use xshell::Shell;

use xtask::lesson::aws::{Placement, sdk_error};
use xtask::lesson::package;
use xtask::lesson::{Lesson, LessonId};
use xtask::tools::{self, MotoServer};

/// What the rehearsal cannot show, and why.
pub const NOT_REHEARSED: &[&str] = &[
    "`osls deploy` itself: the framework (AWS SDK for JavaScript v2) ignores AWS_ENDPOINT_URL; the rehearsal creates the packaged template with CloudFormation instead",
    "the HTTP API (AWS::ApiGatewayV2::*): moto's CloudFormation does not create it, so invoke, loop and loadtest --target aws need a real account",
    "running the functions: moto creates them, and on every send tries to run the worker, which needs Docker; without it the message goes back to the queue, so nothing processes the jobs",
    "logs, and `lesson step3 run --real --target aws` which reads them: CloudWatch Logs gets no function output without running functions",
    "dlq redrive: moto's SQS has no StartMessageMoveTask",
];

/// The stage the rehearsal deploys (a real deploy's `dev` stays untouched
/// even if someone points AWS_ENDPOINT_URL elsewhere by mistake).
const STAGE: &str = "rehearsal";
const BUCKET: &str = "workshop-rehearsal-deployments";

pub fn run() -> Result<ExitCode> {
    let sh = Shell::new()?;
    let venv = tools::python_venv(&sh)?;
    let modules = tools::node_modules(&sh)?;
    let moto = MotoServer::start(&venv)?;
    let endpoint = moto.url.trim_end_matches('/').to_owned();
    let runtime = tokio::runtime::Runtime::new()?;
    let mut failed = 0;
    for id in [LessonId::Step1, LessonId::Step2, LessonId::Step3] {
        let lesson = id.lesson();
        let outcome = deploy(&runtime, &sh, &modules, &endpoint, &lesson).and_then(|stack| {
            println!(
                "ok    {}: {stack} CREATE_COMPLETE in moto, with its HttpApiUrl output",
                lesson.name
            );
            commands(&lesson, &endpoint)
        });
        match outcome {
            Ok(lines) => {
                for line in lines {
                    println!("ok    {}: {line}", lesson.name);
                }
            }
            Err(e) => {
                failed += 1;
                println!("FAIL  {}: {e:#}", lesson.name);
            }
        }
    }
    println!("Not rehearsed (moto cannot stand in for them; a real account shows them):");
    for what in NOT_REHEARSED {
        println!("  - {what}");
    }
    if failed > 0 {
        bail!("{failed} lesson(s) failed the deploy rehearsal");
    }
    println!("3 lessons deployed to moto and operated with --target aws");
    Ok(ExitCode::SUCCESS)
}

/// The SDK configuration for moto: its endpoint, stand-in credentials.
async fn moto_config(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "rehearsal",
        ))
        .load()
        .await
}

/// Packages the lesson, uploads its artifacts, creates its stack in moto
/// and waits for it; the stack's name.
fn deploy(
    runtime: &tokio::runtime::Runtime,
    sh: &Shell,
    modules: &Path,
    endpoint: &str,
    lesson: &Lesson,
) -> Result<String> {
    let placement = Placement::of(lesson, Some(STAGE), None)?;
    let text = std::fs::read_to_string(lesson.serverless_yml())?;
    let (mut template, scratch) =
        package::with_stand_ins(sh, modules, &text, Some(STAGE), Some(&placement.region))?;
    let artifacts = point_code_at(&mut template, BUCKET, scratch.path())?;
    runtime.block_on(async {
        let sdk = moto_config(endpoint, &placement.region).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        // The bucket `osls deploy` would make (a template resource, created
        // by the stack itself, too late for the functions' code): made first.
        let location = aws_sdk_s3::types::BucketLocationConstraint::from(placement.region.as_str());
        let made = s3
            .create_bucket()
            .bucket(BUCKET)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(location)
                    .build(),
            )
            .send()
            .await;
        if let Err(e) = made {
            let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e).unwrap_or_default();
            if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
                bail!(sdk_error("CreateBucket", &e));
            }
        }
        for (key, file) in &artifacts {
            s3.put_object()
                .bucket(BUCKET)
                .key(key)
                .body(aws_sdk_s3::primitives::ByteStream::from(std::fs::read(
                    file,
                )?))
                .send()
                .await
                .map_err(|e| anyhow::anyhow!(sdk_error("PutObject", &e)))?;
        }
        let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
        cloudformation
            .create_stack()
            .stack_name(&placement.stack_name)
            .template_body(template.to_string())
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!(sdk_error("CreateStack", &e)))?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let answer = cloudformation
                .describe_stacks()
                .stack_name(&placement.stack_name)
                .send()
                .await
                .map_err(|e| anyhow::anyhow!(sdk_error("DescribeStacks", &e)))?;
            let status = answer
                .stacks()
                .first()
                .and_then(|s| s.stack_status())
                .cloned();
            match status {
                Some(StackStatus::CreateComplete) => {
                    let outputs: Vec<&str> = answer
                        .stacks()
                        .first()
                        .map(|s| s.outputs().iter().filter_map(|o| o.output_key()).collect())
                        .unwrap_or_default();
                    if !outputs.contains(&"HttpApiUrl") {
                        bail!("the stack has no HttpApiUrl output: {outputs:?}");
                    }
                    break;
                }
                Some(StackStatus::CreateInProgress) | None
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                other => bail!("stack {} ended {other:?}", placement.stack_name),
            }
        }
        Ok(())
    })?;
    Ok(placement.stack_name)
}

/// Points every function's code at `bucket` (instead of the template's own
/// deployment bucket) and returns S3 key -> local zip to upload. The zip is
/// the one serverless.yml names, found by the key's file name.
fn point_code_at(
    template: &mut Value,
    bucket: &str,
    scratch: &Path,
) -> Result<BTreeMap<String, std::path::PathBuf>> {
    let mut artifacts = BTreeMap::new();
    let resources = template["Resources"]
        .as_object_mut()
        .context("the template has no Resources")?;
    for (id, resource) in resources.iter_mut() {
        if resource["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        let code = &mut resource["Properties"]["Code"];
        let key = code["S3Key"]
            .as_str()
            .with_context(|| format!("{id} has no Code.S3Key"))?
            .to_owned();
        let name = key.rsplit('/').next().unwrap_or(&key);
        let binary = name.trim_end_matches(".zip");
        let file = scratch.join("target/lambda").join(binary).join(name);
        if !file.exists() {
            bail!("{id}: no artifact {} for key {key}", file.display());
        }
        code["S3Bucket"] = Value::String(bucket.to_owned());
        artifacts.insert(key, file);
    }
    Ok(artifacts)
}

/// The `--target aws` commands moto can serve, run as a learner types them
/// (this binary, `AWS_ENDPOINT_URL` set to moto); each output checked.
fn commands(lesson: &Lesson, endpoint: &str) -> Result<Vec<String>> {
    let name = lesson.name;
    let mut done = Vec::new();
    let run = |args: &[&str]| -> Result<String> {
        let mut all = vec!["lesson", name];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--target", "aws", "--stage", STAGE]);
        let output = std::process::Command::new(xtask::paths::this_exe()?)
            .args(&all)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            bail!(
                "`cargo xtask {}` failed:\n{stdout}{}",
                all.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(stdout)
    };
    let expect = |what: &str, stdout: &str, wanted: &str| -> Result<String> {
        if !stdout.contains(wanted) {
            bail!("{what} printed no {wanted:?}:\n{stdout}");
        }
        Ok(format!("{what}: {wanted:?}"))
    };
    if !lesson.has_queue {
        // Step 1 is only an HTTP API, which moto does not create.
        return Ok(done);
    }
    let queue = format!("tutorial-step-{}-{STAGE}-jobs", &name[4..]);
    let stats = run(&["queue", "stats"])?;
    done.push(expect(
        "queue stats",
        &stats,
        &format!("| {queue} | 0 | 0 | 0 |"),
    )?);
    let sent = run(&["send", "rehearsal job"])?;
    done.push(expect("send", &sent, &format!("/{queue}"))?);
    let stats = run(&["queue", "stats"])?;
    let counted = stats.contains(&format!("| {queue} | 1 | 0 | 0 |"))
        || stats.contains(&format!("| {queue} | 0 | 1 | 0 |"));
    if !counted {
        bail!("queue stats after one send counts no message:\n{stats}");
    }
    done.push("queue stats after send: the message is counted".to_owned());
    let shown = run(&["dlq", "show"])?;
    done.push(expect("dlq show", &shown, "the DLQ is empty")?);
    if lesson.name == "step3" {
        let changed = run(&["visibility", "10"])?;
        done.push(expect("visibility 10", &changed, "120 s -> 10 s")?);
        let back = run(&["visibility", "120"])?;
        done.push(expect("visibility 120", &back, "10 s -> 120 s")?);
    }
    let purged = run(&["dlq", "purge"])?;
    done.push(expect("dlq purge", &purged, "purged ")?);
    Ok(done)
}
