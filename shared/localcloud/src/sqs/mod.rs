//! SQS standard queues (work in progress on the `sqs` branch).
