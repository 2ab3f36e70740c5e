// Made by `cargo xtask exercise` from lessons/step3-dlq-visibility/src/lib.rs: your files are
// this crate's; every other module is the lesson's, by path.
//! # Step 3: the slow worker, the visibility timeout and the dead-letter queue
//!
//! The retrospective's third step. The pipeline is step 2's (`POST /produce`
//! -> producer -> queue `jobs` -> worker; the producer *is* step 2's code),
//! but now the worker is slow: it works 15 s on each batch
//! (`WORK_SECONDS`), and what it does at the end is a side effect that must
//! happen once: a money transfer. Here the transfer is the line
//! `commit <messageId> receive <n>: input <x> -> output <x+1>`, so counting
//! transfers is counting lines.
//!
//! ## What goes wrong with a short visibility timeout
//!
//! SQS knows nothing about Lambda. A receive hides the message for the
//! queue's `VisibilityTimeout`; when that runs out, the message is visible
//! again, whoever is still working on it. Say the timeout is 10 s (the
//! event source mapping only checks "visibility timeout >= function timeout"
//! when it is created; a later change of the queue is not re-checked), the
//! work 15 s and `maxRetries: 3`:
//!
//! ```text
//!  t =  0 s  receive 1 -> worker A starts
//!  t = 10 s  visible again -> receive 2 -> worker B starts (the same message)
//!  t = 15 s  A: commit (transfer #1); Lambda deletes with A's receipt handle,
//!            which is no longer the latest: the call succeeds, nothing is deleted
//!  t = 20 s  receive 3 -> worker C
//!  t = 25 s  B: commit (transfer #2); delete ignored again
//!  t = 30 s  a 4th receive would exceed maxReceiveCount 3: SQS moves the message to the DLQ
//!  t = 35 s  C: commit (transfer #3)
//! ```
//!
//! Three transfers, every invocation a success, and the message still ends
//! in the dead-letter queue, where it looks like a failure. (AWS,
//! DeleteMessage: "you must provide the most recently received
//! ReceiptHandle for the message (otherwise, the request succeeds, but the
//! message will not be deleted)".)
//!
//! ## Three fixes, best together
//!
//! 1. **The right timeout.** The function timeout must be above the work
//!    (here `timeout: 20` for 15 s of work), and the queue's visibility
//!    timeout well above the function timeout: AWS recommends at least
//!    6 x the function timeout (+ the batching window), which is exactly
//!    what serverless-lift sets: 6 x 20 = 120 s. This is `serverless.yml`.
//! 2. **A heartbeat** (`HEARTBEAT=on`), for work whose length you cannot
//!    bound: the worker reads the queue's `VisibilityTimeout` V and, while
//!    it works, calls `ChangeMessageVisibility(V)` on its messages every V/2,
//!    so nobody else receives them. It stops when the work ends; if the
//!    worker dies, the heartbeat dies with it and the message comes back
//!    after at most V. It needs `sqs:ChangeMessageVisibility` and
//!    `sqs:GetQueueAttributes` in the function's role (the `iam` block of
//!    `serverless.yml`). SQS caps a message's total in-flight time at 12 h.
//! 3. **Idempotency keyed by the job** (`IDEMPOTENCY=on`). Standard queues
//!    deliver *at least* once, so even a perfect timeout does not make
//!    duplicates impossible: an invocation can fail after its commit and
//!    before Lambda deletes the message (the `crash-after-commit`
//!    scenario). The worker claims each job in a DynamoDB table with one
//!    conditional write before the work and marks it completed after the
//!    commit ([`idempotency`]); a second delivery finds it done and does
//!    nothing. The key is the job, from the message body: a message
//!    redriven from the DLQ gets a new message id.
//!
//! ## The code
//!
//! - [`worker`]: [`worker::Worker`], its settings (`WORK_SECONDS`,
//!   `HEARTBEAT`, `QUEUE_URL`) and its log lines. Its
//!   [`handle`](worker::Worker::handle) takes a log sink, so the same code
//!   runs in the Lambda binary (`println!`) and in an emulator, in process.
//! - [`slow_work`]: the batch's work, the retrospective's `await delay(15000)`.
//! - [`heartbeat`]: the queue's visibility timeout, read and extended while
//!   the worker works.
//! - [`idempotency`]: the claim, one conditional write before the work;
//!   [`idempotency_table`]: the record's attributes and the mark after the
//!   commit.
//! - The producer is [`step2_sqs::producer::Producer`]; `src/bin/` only
//!   builds both `bootstrap`s under step 3's names.

#[path = "../../../../lessons/step3-dlq-visibility/src/heartbeat.rs"]
pub mod heartbeat;
pub mod idempotency;
#[path = "../../../../lessons/step3-dlq-visibility/src/idempotency_table.rs"]
pub mod idempotency_table;
#[path = "../../../../lessons/step3-dlq-visibility/src/slow_work.rs"]
pub mod slow_work;
#[path = "../../../../lessons/step3-dlq-visibility/src/worker.rs"]
pub mod worker;
