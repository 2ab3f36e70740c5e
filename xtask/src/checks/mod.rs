//! The project checking itself:
//!
//! - [`ci`]: `cargo xtask ci`, everything CI checks (the README's test command);
//! - [`cfn`]: `cargo xtask cfn-check`, localcloud's reading of serverless.yml
//!   against the CloudFormation of `osls package`;
//! - [`sqs_clients`]: `cargo xtask client-check`, boto3 and the AWS CLI
//!   against localcloud's SQS and DynamoDB;
//! - [`compare_moto`]: `cargo xtask compare-moto`, the SQS and DynamoDB
//!   scenario suites against localcloud and moto's server;
//! - `cargo xtask deploy-rehearsal`, each lesson's packaged stack created in
//!   moto, then operated with `--target aws`: in `xtask-aws`
//!   (`xtask/aws/src/rehearsal.rs`), since it needs CloudFormation and S3.

pub mod cfn;
pub mod ci;
pub mod compare_moto;
pub mod sqs_clients;

/// `cargo xtask deploy-rehearsal` takes no arguments; it runs in `xtask-aws`.
#[derive(clap::Args)]
pub struct RehearsalArgs {}
