//! `cargo xtask lesson <step> package`: what `deploy` would upload, made
//! offline. The functions are built for the architecture serverless.yml
//! declares, then `osls package` (pinned Serverless v3 + serverless-lift)
//! writes the CloudFormation templates to `lessons/<dir>/.serverless/`.
//!
//! [`with_stand_ins`] packages any serverless.yml text in a scratch folder
//! beside stand-in artifact zips (for `cfn-check`, the template snapshots
//! and the deploy rehearsal, where the code is not what is looked at).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::Value;
use xshell::{Shell, cmd};

use super::aws::Placement;
use super::build::{self, Architecture};
use super::deploy::StageArgs;
use super::stack::Lesson;
use crate::{paths, tools};

#[derive(Args)]
pub struct PackageArgs {
    #[command(flatten)]
    pub at: StageArgs,
}

pub fn run(lesson: &Lesson, args: &PackageArgs) -> Result<ExitCode> {
    let placement = Placement::of(lesson, args.at.stage.as_deref(), args.at.region.as_deref())?;
    build::build(
        lesson,
        Architecture::of(placement.config.provider.architecture),
    )?;
    let sh = Shell::new()?;
    let modules = tools::node_modules(&sh)?;
    let dir = paths::root().join(lesson.dir);
    let out = dir.join(".serverless");
    let template = osls_package(
        &sh,
        &modules,
        &dir,
        &out,
        Some(&placement.stage),
        Some(&placement.region),
    )?;
    let file = out.join("cloudformation-template-update-stack.json");
    println!(
        "{}: stack {} in {}",
        file.strip_prefix(paths::root()).unwrap_or(&file).display(),
        placement.stack_name,
        placement.region
    );
    for (kind, count) in resource_counts(&template) {
        println!("  {count} x {kind}");
    }
    Ok(ExitCode::SUCCESS)
}

/// How many resources of each type a template holds.
pub fn resource_counts(template: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for resource in template["Resources"]
        .as_object()
        .into_iter()
        .flat_map(|r| r.values())
    {
        if let Some(kind) = resource["Type"].as_str() {
            *counts.entry(kind.to_owned()).or_default() += 1;
        }
    }
    counts
}

/// `osls package` of the service in `dir` into `out`; the update-stack
/// template.
pub fn osls_package(
    sh: &Shell,
    modules: &Path,
    dir: &Path,
    out: &Path,
    stage: Option<&str>,
    region: Option<&str>,
) -> Result<Value> {
    let osls = modules.join(".bin/osls");
    let _dir = sh.push_dir(dir);
    let _telemetry = sh.push_env("SLS_TELEMETRY_DISABLED", "1");
    let _notifications = sh.push_env("SLS_NOTIFICATIONS_MODE", "off");
    let mut placement = Vec::new();
    if let Some(stage) = stage {
        placement.extend(["--stage", stage]);
    }
    if let Some(region) = region {
        placement.extend(["--region", region]);
    }
    let packaged = cmd!(sh, "{osls} package --package {out} {placement...}")
        .quiet()
        .ignore_status()
        .output()?;
    if !packaged.status.success() {
        bail!(
            "osls package failed:\n{}{}",
            String::from_utf8_lossy(&packaged.stdout),
            String::from_utf8_lossy(&packaged.stderr)
        );
    }
    let file = out.join("cloudformation-template-update-stack.json");
    serde_json::from_str(
        &std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?,
    )
    .with_context(|| format!("{} is not JSON", file.display()))
}

/// A serverless.yml text packaged in a scratch folder, its artifacts
/// stand-in zips (a `bootstrap` shell script): the template, and the
/// scratch folder (`target/lambda/<bin>/<bin>.zip` inside), kept alive
/// as long as the caller needs the zips.
pub fn with_stand_ins(
    sh: &Shell,
    modules: &Path,
    text: &str,
    stage: Option<&str>,
    region: Option<&str>,
) -> Result<(Value, tempfile::TempDir)> {
    let scratch = tempfile::tempdir()?;
    let service_dir = scratch.path().join("lessons/service");
    std::fs::create_dir_all(&service_dir)?;
    std::fs::write(service_dir.join("serverless.yml"), text)?;
    for bin in [
        "step1-api",
        "step2-producer",
        "step2-worker",
        "step3-producer",
        "step3-worker",
    ] {
        let dir = scratch.path().join("target/lambda").join(bin);
        std::fs::create_dir_all(&dir)?;
        let zip = std::fs::File::create(dir.join(format!("{bin}.zip")))?;
        let mut writer = zip::ZipWriter::new(zip);
        writer.start_file(
            "bootstrap",
            zip::write::SimpleFileOptions::default().unix_permissions(0o755),
        )?;
        std::io::Write::write_all(&mut writer, b"#!/bin/sh\n")?;
        writer.finish()?;
    }
    std::os::unix::fs::symlink(modules, scratch.path().join("node_modules"))?;
    let out = scratch.path().join("out");
    let template = osls_package(sh, modules, &service_dir, &out, stage, region)?;
    Ok((template, scratch))
}

/// A template with what changes from one packaging to the next replaced
/// by placeholders: artifact keys (a timestamp in the path), code hashes
/// in the names of `AWS::Lambda::Version` resources and in their
/// `CodeSha256`.
#[cfg(test)]
pub fn redact(template: &Value) -> Value {
    fn walk(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = match k.as_str() {
                            "S3Key" => Value::String("[artifact key]".into()),
                            "CodeSha256" => Value::String("[code sha256]".into()),
                            _ => walk(v),
                        };
                        (version_name(k), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(walk).collect()),
            Value::String(s) => Value::String(version_name(s)),
            other => other.clone(),
        }
    }
    /// `ProducerLambdaVersionCwUYStc5…` -> `ProducerLambdaVersion[hash]`.
    fn version_name(name: &str) -> String {
        match name.find("LambdaVersion") {
            Some(at) if name.len() > at + "LambdaVersion".len() => {
                format!("{}LambdaVersion[hash]", &name[..at])
            }
            _ => name.to_owned(),
        }
    }
    walk(template)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::LessonId;

    #[test]
    fn volatile_fields_are_redacted_and_nothing_else() {
        let template = serde_json::json!({
            "Resources": {
                "ProducerLambdaVersionCwUYStc5tSzm2Lkfb27jUAfU8MEOQaZqtkZtou3yBT4": {
                    "Type": "AWS::Lambda::Version",
                    "Properties": {"CodeSha256": "abc=", "FunctionName": {"Ref": "ProducerLambdaFunction"}}
                },
                "ProducerLambdaFunction": {"Properties": {"Code": {"S3Key": "serverless/x/dev/1764000000000-2026-11-25T16:00:00.000Z/producer.zip"}}}
            },
            "Outputs": {"ProducerLambdaFunctionQualifiedArn": {"Value": {"Ref": "ProducerLambdaVersionCwUYStc5tSzm2Lkfb27jUAfU8MEOQaZqtkZtou3yBT4"}}}
        });
        let redacted = redact(&template);
        assert_eq!(
            redacted,
            serde_json::json!({
                "Resources": {
                    "ProducerLambdaVersion[hash]": {
                        "Type": "AWS::Lambda::Version",
                        "Properties": {"CodeSha256": "[code sha256]", "FunctionName": {"Ref": "ProducerLambdaFunction"}}
                    },
                    "ProducerLambdaFunction": {"Properties": {"Code": {"S3Key": "[artifact key]"}}}
                },
                "Outputs": {"ProducerLambdaFunctionQualifiedArn": {"Value": {"Ref": "ProducerLambdaVersion[hash]"}}}
            })
        );
    }

    /// The CloudFormation each lesson deploys, as `osls package` writes it
    /// (stand-in artifacts; volatile fields redacted). A change to a
    /// serverless.yml, to osls or to serverless-lift shows here.
    #[test]
    fn each_lessons_cloudformation_template() {
        let sh = Shell::new().unwrap();
        let modules = tools::node_modules(&sh).unwrap();
        for id in [LessonId::Step1, LessonId::Step2, LessonId::Step3] {
            let lesson = id.lesson();
            let text = std::fs::read_to_string(lesson.serverless_yml()).unwrap();
            let (template, _scratch) = with_stand_ins(&sh, &modules, &text, None, None).unwrap();
            insta::assert_json_snapshot!(
                format!("{}-cloudformation", lesson.name),
                redact(&template)
            );
        }
    }
}
