//! Property tests for FIFO queues, against the engine:
//!
//! - random sends to three groups, receives (visibility 0, short or long),
//!   deletes with current and stale handles, visibility changes and clock
//!   advances, with a dead-letter queue after two receives. After every
//!   receive: each message returned is the oldest message of its group
//!   still in the queue and not already returned by this receive, and no
//!   other message of its group was in flight; the receive returns exactly
//!   what a reference model of the delivery rules predicts; nothing is
//!   lost, and each group reaches the DLQ in order.
//! - deduplication under the clock: random sends with a few deduplication
//!   ids and advances; a send is a duplicate exactly when the same id was
//!   accepted less than 5 minutes before, and then answers that message's id.
//!
//! The seed is random per run unless `PROPTEST_RNG_SEED` is set, and is
//! printed with any failure.

use std::collections::BTreeMap;

use localcloud::sqs::engine::Engine;
use localcloud::sqs::queue::ReceiptHandle;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use tokio::time::{Duration, Instant};

const MAX_RECEIVE_COUNT: u32 = 2;
const GROUPS: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Op {
    Send { group: usize },
    Receive { max: usize, visibility_s: u32 },
    Delete { handle: usize },
    ChangeVisibility { handle: usize, visibility_s: u32 },
    Advance { millis: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3).prop_map(|group| Op::Send { group }),
        4 => (1usize..5, prop_oneof![Just(0u32), 1u32..4]).prop_map(|(max, visibility_s)| Op::Receive { max, visibility_s }),
        3 => (0usize..64).prop_map(|handle| Op::Delete { handle }),
        1 => (0usize..64, 0u32..3).prop_map(|(handle, visibility_s)| Op::ChangeVisibility { handle, visibility_s }),
        3 => (0u64..3_000).prop_map(|millis| Op::Advance { millis }),
    ]
}

struct M {
    group: usize,
    body: String,
    visible_at: u64,
    receive_count: u32,
    current_handle: Option<usize>,
    deleted: bool,
    in_dlq: bool,
}

impl M {
    fn live(&self) -> bool {
        !self.deleted && !self.in_dlq
    }
    fn in_flight(&self, t: u64) -> bool {
        self.live() && self.receive_count > 0 && self.visible_at > t
    }
}

/// The messages of `group` still in the queue, oldest first (indices).
fn live_of(messages: &[M], group: usize) -> Vec<usize> {
    (0..messages.len())
        .filter(|&i| messages[i].group == group && messages[i].live())
        .collect()
}

/// The next message of `group` a receive may take: its oldest live message
/// not taken by this receive, if visible.
fn next_in(messages: &[M], group: usize, taken: &[usize], t: u64) -> Option<usize> {
    let i = live_of(messages, group)
        .into_iter()
        .find(|i| !taken.contains(i))?;
    (messages[i].visible_at <= t).then_some(i)
}

fn ready(messages: &[M], group: usize, t: u64) -> Option<usize> {
    let live = live_of(messages, group);
    let head = *live.first()?;
    let blocked = live.iter().any(|&i| messages[i].in_flight(t));
    (!blocked && messages[head].visible_at <= t).then_some(head)
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let start = Instant::now();
    let mut engine = Engine::new("000000000000".into(), "us-east-1".into(), "http://q".into());
    let fifo = BTreeMap::from([("FifoQueue".to_owned(), "true".to_owned())]);
    engine
        .create_queue("dlq.fifo", &fifo, &BTreeMap::new(), start, 0)
        .unwrap();
    let mut attributes = fifo.clone();
    attributes.insert(
        "RedrivePolicy".into(),
        format!(
            r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq.fifo","maxReceiveCount":{MAX_RECEIVE_COUNT}}}"#
        ),
    );
    attributes.insert("ContentBasedDeduplication".into(), "true".into());
    engine
        .create_queue("q.fifo", &attributes, &BTreeMap::new(), start, 0)
        .unwrap();

    let mut messages: Vec<M> = Vec::new();
    let mut handles: Vec<(ReceiptHandle, usize, String)> = Vec::new();
    let mut dlq_order: Vec<String> = Vec::new();
    let mut t: u64 = 0;
    for op in ops {
        let now = start + Duration::from_millis(t);
        match op {
            Op::Send { group } => {
                let body = format!("m{}", messages.len());
                let queue = engine.queue_mut_by_name("q.fifo", now).unwrap();
                let mut message = localcloud::sqs::queue::StoredMessage::new(
                    uuid::Uuid::new_v4(),
                    body.clone(),
                    Default::default(),
                    Default::default(),
                    t as i64,
                    now,
                );
                message.set_group(Some(localcloud::sqs::queue::GroupFields {
                    group_id: GROUPS[group].into(),
                    deduplication_id: Some(body.clone().into_boxed_str()),
                    sequence_number: None,
                }));
                queue.push(message, Duration::ZERO, now);
                messages.push(M {
                    group,
                    body,
                    visible_at: t,
                    receive_count: 0,
                    current_handle: None,
                    deleted: false,
                    in_dlq: false,
                });
            }
            Op::Receive { max, visibility_s } => {
                // The reference: as many of one group as possible, then the
                // ready group with the oldest message; messages received
                // MAX_RECEIVE_COUNT times go to the DLQ instead.
                let mut expected: Vec<usize> = Vec::new();
                let mut taken: Vec<usize> = Vec::new();
                let mut last: Option<usize> = None;
                while expected.len() < max {
                    let preferred = last.and_then(|g| next_in(&messages, g, &taken, t));
                    let pick = preferred.or_else(|| {
                        let mut heads: Vec<(usize, usize)> = (0..GROUPS.len())
                            .filter_map(|g| ready(&messages, g, t).map(|h| (h, g)))
                            .collect();
                        heads.sort();
                        heads
                            .into_iter()
                            .find_map(|(_, g)| next_in(&messages, g, &taken, t))
                    });
                    let Some(i) = pick else { break };
                    if messages[i].receive_count >= MAX_RECEIVE_COUNT {
                        messages[i].in_dlq = true;
                        dlq_order.push(messages[i].body.clone());
                        continue;
                    }
                    let m = &mut messages[i];
                    m.receive_count += 1;
                    m.visible_at = t + u64::from(visibility_s) * 1000;
                    m.current_handle = Some(handles.len() + expected.len());
                    expected.push(i);
                    taken.push(i);
                    last = Some(m.group);
                }
                let got = engine
                    .receive_now("q.fifo", max, Some(visibility_s), None, now, t as i64)
                    .unwrap();
                let actual: Vec<(String, u32)> = got
                    .iter()
                    .map(|r| (r.message.body().to_owned(), r.message.receive_count))
                    .collect();
                let wanted: Vec<(String, u32)> = expected
                    .iter()
                    .map(|&i| (messages[i].body.clone(), messages[i].receive_count))
                    .collect();
                prop_assert_eq!(&actual, &wanted, "receive at {} ms", t);
                // The rules themselves, independently of the reference's picking.
                for (k, &i) in expected.iter().enumerate() {
                    let g = messages[i].group;
                    let before: Vec<usize> = live_of(&messages, g)
                        .into_iter()
                        .filter(|j| *j < i && !expected[..k].contains(j))
                        .collect();
                    prop_assert!(
                        before.is_empty(),
                        "{} skipped older {:?}",
                        messages[i].body,
                        before
                    );
                    prop_assert_eq!(
                        got[k].message.group_id(),
                        Some(GROUPS[g]),
                        "group of {}",
                        &messages[i].body
                    );
                }
                for (r, &i) in got.iter().zip(&expected) {
                    let handle = ReceiptHandle::decode(&r.receipt_handle, "q.fifo").unwrap();
                    handles.push((handle, i, r.receipt_handle.clone()));
                }
            }
            Op::Delete { handle } => {
                if let Some((h, i, _)) = handles.get(handle).cloned() {
                    let deleted = engine.queue_mut_by_name("q.fifo", now).unwrap().delete(h);
                    let m = &mut messages[i];
                    let should = m.live() && m.current_handle == Some(handle);
                    prop_assert_eq!(deleted, should, "delete {} at {} ms", handle, t);
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
                        .queue_mut_by_name("q.fifo", now)
                        .unwrap()
                        .change_visibility(h, visibility_s, now, &text);
                    let m = &mut messages[i];
                    let ok = m.live() && m.current_handle == Some(handle) && m.visible_at > t;
                    prop_assert_eq!(result.is_ok(), ok, "change visibility at {} ms", t);
                    if ok {
                        m.visible_at = t + u64::from(visibility_s) * 1000;
                    }
                }
            }
            Op::Advance { millis } => t += millis,
        }
        let now = start + Duration::from_millis(t);
        let counts = engine.queue_mut_by_name("q.fifo", now).unwrap().counts();
        let live = messages.iter().filter(|m| m.live()).count();
        prop_assert_eq!(counts.visible + counts.in_flight + counts.delayed, live);
    }
    // The DLQ holds what moved, in the order it moved (each group in order).
    let end = start + Duration::from_millis(t);
    let moved = engine
        .receive_now("dlq.fifo", 10, Some(0), None, end, t as i64)
        .unwrap();
    let mut per_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &moved {
        per_group
            .entry(r.message.group_id().unwrap_or_default().to_owned())
            .or_default()
            .push(r.message.body().to_owned());
    }
    for (group, bodies) in per_group {
        let mut sorted = bodies.clone();
        sorted.sort_by_key(|b| b[1..].parse::<usize>().unwrap_or(0));
        prop_assert_eq!(&bodies, &sorted, "group {} in the DLQ", group);
    }
    prop_assert_eq!(
        engine
            .queue_mut_by_name("dlq.fifo", end)
            .unwrap()
            .counts()
            .visible,
        dlq_order.len()
    );
    Ok(())
}

fn seeded_runner(cases: u32) -> (TestRunner, u64) {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    (TestRunner::new(config), seed)
}

#[test]
fn fifo_groups_are_delivered_in_order_one_receive_at_a_time() {
    let (mut runner, seed) = seeded_runner(256);
    let result = runner.run(&proptest::collection::vec(op(), 1..150), run);
    if let Err(e) = result {
        panic!("{e}\nproptest seed: {seed} (rerun with PROPTEST_RNG_SEED={seed})");
    }
}

#[derive(Debug, Clone)]
enum DedupOp {
    Send { id: usize },
    Advance { seconds: u64 },
}

fn dedup_op() -> impl Strategy<Value = DedupOp> {
    prop_oneof![
        3 => (0usize..4).prop_map(|id| DedupOp::Send { id }),
        1 => (0u64..200).prop_map(|seconds| DedupOp::Advance { seconds }),
    ]
}

/// Through the API (SendMessage), under tokio's paused clock.
fn run_dedup(ops: Vec<DedupOp>) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let sqs = localcloud::sqs::Sqs::new(Default::default());
        let attributes = BTreeMap::from([("FifoQueue".to_owned(), "true".to_owned())]);
        let url = sqs.create_queue("d.fifo", &attributes).unwrap();
        let start = tokio::time::Instant::now();
        // id -> (accepted at, message id)
        let mut accepted: BTreeMap<usize, (Duration, String)> = BTreeMap::new();
        let mut delivered = 0;
        for op in ops {
            match op {
                DedupOp::Advance { seconds } => {
                    tokio::time::sleep(Duration::from_secs(seconds)).await
                }
                DedupOp::Send { id } => {
                    let now = start.elapsed();
                    let answer = localcloud::sqs::ops::messages::send_message(
                        &sqs,
                        serde_json::from_value(serde_json::json!({
                            "QueueUrl": url, "MessageBody": "x",
                            "MessageGroupId": "g", "MessageDeduplicationId": format!("id-{id}"),
                        }))
                        .unwrap(),
                    )
                    .unwrap();
                    match accepted.get(&id) {
                        Some((at, first)) if now < *at + Duration::from_secs(300) => {
                            prop_assert_eq!(&answer.message_id, first, "duplicate at {:?}", now);
                        }
                        _ => {
                            if let Some((_, first)) = accepted.get(&id) {
                                prop_assert_ne!(&answer.message_id, first);
                            }
                            accepted.insert(id, (now, answer.message_id.clone()));
                            delivered += 1;
                        }
                    }
                }
            }
        }
        let counts = sqs.counts("d.fifo").unwrap();
        prop_assert_eq!(counts.visible, delivered);
        Ok(())
    })
}

#[test]
fn deduplication_counts_five_minutes_from_the_first_send() {
    let (mut runner, seed) = seeded_runner(128);
    let result = runner.run(&proptest::collection::vec(dedup_op(), 1..60), run_dedup);
    if let Err(e) = result {
        panic!("{e}\nproptest seed: {seed} (rerun with PROPTEST_RNG_SEED={seed})");
    }
}
