//! Property test: random sequences of SQS operations and clock advances,
//! run against localcloud's engine and against a small reference model that
//! states the rules directly. After every step both must agree: no message
//! lost, none delivered while invisible, receive counts exact, and a message
//! moved to the DLQ exactly at the receive after its maxReceiveCount-th.
//!
//! The case count is fixed; the seed is random per run unless
//! `PROPTEST_RNG_SEED` is set, and is printed with any failure.

use std::collections::BTreeMap;

use localcloud::sqs::engine::Engine;
use localcloud::sqs::queue::ReceiptHandle;
use localcloud::sqs::{Counts, ErrorCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use tokio::time::{Duration, Instant};

const MAX_RECEIVE_COUNT: u32 = 2;

#[derive(Debug, Clone)]
enum Op {
    Send { delay_s: u32 },
    Receive { max: usize, visibility_s: u32 },
    Delete { handle: usize },
    ChangeVisibility { handle: usize, visibility_s: u32 },
    Advance { millis: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u32..3).prop_map(|delay_s| Op::Send { delay_s }),
        4 => (1usize..4, 0u32..4).prop_map(|(max, visibility_s)| Op::Receive { max, visibility_s }),
        2 => (0usize..64).prop_map(|handle| Op::Delete { handle }),
        1 => (0usize..64, 0u32..4).prop_map(|(handle, visibility_s)| Op::ChangeVisibility { handle, visibility_s }),
        3 => (0u64..4_000).prop_map(|millis| Op::Advance { millis }),
    ]
}

/// The rules, stated plainly, in milliseconds.
#[derive(Default)]
struct Model {
    messages: Vec<ModelMessage>,
}

struct ModelMessage {
    body: String,
    visible_at: u64,
    receive_count: u32,
    /// Index of the most recent handle issued for it.
    current_handle: Option<usize>,
    deleted: bool,
    in_dlq: bool,
}

impl Model {
    fn live(&self) -> impl Iterator<Item = (usize, &ModelMessage)> {
        self.messages
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.deleted && !m.in_dlq)
    }

    fn counts(&self, t: u64) -> Counts {
        let mut c = Counts::default();
        for (_, m) in self.live() {
            if m.visible_at <= t {
                c.visible += 1;
            } else if m.receive_count > 0 {
                c.in_flight += 1;
            } else {
                c.delayed += 1;
            }
        }
        c
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let start = Instant::now();
    let mut engine = Engine::new("000000000000".into(), "us-east-1".into(), "http://q".into());
    engine
        .create_queue("dlq", &BTreeMap::new(), &BTreeMap::new(), start, 0)
        .unwrap();
    let policy = format!(
        r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":{MAX_RECEIVE_COUNT}}}"#
    );
    let attributes = BTreeMap::from([("RedrivePolicy".to_owned(), policy)]);
    engine
        .create_queue("q", &attributes, &BTreeMap::new(), start, 0)
        .unwrap();

    let mut model = Model::default();
    // Every handle issued: (the engine's handle, the model message index, its text).
    let mut handles: Vec<(ReceiptHandle, usize, String)> = Vec::new();
    let mut t: u64 = 0;
    let mut next_body = 0;
    for op in ops {
        let now = start + Duration::from_millis(t);
        match op {
            Op::Send { delay_s } => {
                let body = format!("m{next_body}");
                next_body += 1;
                let queue = engine.queue_mut_by_name("q", now).unwrap();
                let message = localcloud::sqs::queue::StoredMessage::new(
                    uuid::Uuid::new_v4(),
                    body.clone(),
                    Default::default(),
                    Default::default(),
                    t as i64,
                    now,
                );
                queue.push(message, Duration::from_secs(delay_s.into()), now);
                model.messages.push(ModelMessage {
                    body,
                    visible_at: t + u64::from(delay_s) * 1000,
                    receive_count: 0,
                    current_handle: None,
                    deleted: false,
                    in_dlq: false,
                });
            }
            Op::Receive { max, visibility_s } => {
                let got = engine
                    .receive_now("q", max, Some(visibility_s), None, now, t as i64)
                    .unwrap();
                // The model: visible messages in send order; those received
                // MAX_RECEIVE_COUNT times already go to the DLQ instead.
                let mut expected = Vec::new();
                for i in 0..model.messages.len() {
                    if expected.len() == max {
                        break;
                    }
                    let m = &mut model.messages[i];
                    if m.deleted || m.in_dlq || m.visible_at > t {
                        continue;
                    }
                    if m.receive_count >= MAX_RECEIVE_COUNT {
                        m.in_dlq = true;
                        continue;
                    }
                    m.receive_count += 1;
                    m.visible_at = t + u64::from(visibility_s) * 1000;
                    m.current_handle = Some(handles.len() + expected.len());
                    expected.push((i, m.body.clone(), m.receive_count));
                }
                let actual: Vec<(String, u32)> = got
                    .iter()
                    .map(|r| (r.message.body().to_owned(), r.message.receive_count))
                    .collect();
                let wanted: Vec<(String, u32)> =
                    expected.iter().map(|(_, b, c)| (b.clone(), *c)).collect();
                prop_assert_eq!(actual, wanted, "receive at {} ms", t);
                for (r, (i, _, _)) in got.iter().zip(expected) {
                    let handle = ReceiptHandle::decode(&r.receipt_handle, "q").unwrap();
                    handles.push((handle, i, r.receipt_handle.clone()));
                }
            }
            Op::Delete { handle } => {
                if let Some((h, i, _)) = handles.get(handle).cloned() {
                    let deleted = engine.queue_mut_by_name("q", now).unwrap().delete(h);
                    let m = &mut model.messages[i];
                    let should = !m.deleted && !m.in_dlq && m.current_handle == Some(handle);
                    prop_assert_eq!(deleted, should, "delete with handle {} at {} ms", handle, t);
                    if should {
                        m.deleted = true;
                    }
                }
            }
            Op::ChangeVisibility {
                handle,
                visibility_s,
            } => {
                if let Some((h, i, text)) = handles.get(handle).cloned() {
                    let result = engine
                        .queue_mut_by_name("q", now)
                        .unwrap()
                        .change_visibility(h, visibility_s, now, &text);
                    let m = &mut model.messages[i];
                    let current = !m.deleted && !m.in_dlq && m.current_handle == Some(handle);
                    let expected = if !current {
                        Err(ErrorCode::InvalidParameterValue)
                    } else if m.visible_at <= t {
                        Err(ErrorCode::MessageNotInflight)
                    } else {
                        m.visible_at = t + u64::from(visibility_s) * 1000;
                        Ok(())
                    };
                    prop_assert_eq!(
                        result.map_err(|e| e.code),
                        expected,
                        "change visibility at {} ms",
                        t
                    );
                }
            }
            Op::Advance { millis } => t += millis,
        }
        let now = start + Duration::from_millis(t);
        let counts = engine.queue_mut_by_name("q", now).unwrap().counts();
        prop_assert_eq!(counts, model.counts(t), "counts at {} ms", t);
        let in_dlq = engine
            .queue_mut_by_name("dlq", now)
            .unwrap()
            .counts()
            .visible;
        prop_assert_eq!(
            in_dlq,
            model.messages.iter().filter(|m| m.in_dlq).count(),
            "DLQ at {} ms",
            t
        );
        // Nothing lost: every message sent is deleted, in the queue, or in the DLQ.
        let total = counts.visible + counts.in_flight + counts.delayed + in_dlq;
        let deleted = model.messages.iter().filter(|m| m.deleted).count();
        prop_assert_eq!(total + deleted, model.messages.len());
    }
    Ok(())
}

#[test]
fn the_engine_follows_the_reference_model() {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let config = Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(op(), 1..120), run);
    if let Err(e) = result {
        panic!("{e}\nproptest seed: {seed} (rerun with PROPTEST_RNG_SEED={seed})");
    }
}
