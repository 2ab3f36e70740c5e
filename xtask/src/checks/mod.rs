//! The project checking itself:
//!
//! - [`ci`]: `cargo xtask ci`, everything CI checks (the README's test command);
//! - [`cfn`]: `cargo xtask cfn-check`, localcloud's reading of serverless.yml
//!   against the CloudFormation of `osls package`;
//! - [`sqs_clients`]: boto3 and the AWS CLI against localcloud's SQS;
//! - [`compare_moto`]: `cargo xtask compare-moto`, one scenario suite against
//!   localcloud and moto's server;
//! - [`rehearsal`]: `cargo xtask deploy-rehearsal`, each lesson's packaged
//!   stack created in moto, then operated with `--target aws`.

pub mod cfn;
pub mod ci;
pub mod compare_moto;
pub mod rehearsal;
pub mod sqs_clients;
