//! The batch's work: the retrospective's `await delay(15000)`.
//!
//! The retrospective made its consumer slow with one line of JavaScript:
//!
//! ```js
//! const test = async (event) => {
//!   await delay(15000) // 15초 딜레이
//!   for (const record of event.Records) { /* ... */ }
//! }
//! ```
//!
//! Here the worker's `handle` (in `worker.rs`) calls [`work`] once per
//! batch, before its commits, with `WORK_SECONDS` from `serverless.yml` as
//! a [`Duration`]. With `HEARTBEAT=on` the worker runs [`work`] alongside
//! the heartbeat (`worker.rs`, `work_on`) and stops the heartbeat when
//! [`work`] returns: this function is only the waiting.
//!
//! The wait must be tokio's timer, awaited (`tokio::time::sleep`): it gives
//! the thread back while it waits, so the Lambda runtime (and, in the
//! workshop's checks, the virtual clock that jumps to the next timer) keeps
//! running. `std::thread::sleep` would stop the whole thread instead.

use std::time::Duration;

/// Waits `how_long` (the worker's `WORK_SECONDS`): the batch's work.
pub async fn work(how_long: Duration) {
    // TODO(3-1-slow-worker): 회고의 `await delay(15000)`. 여기서 how_long(WORK_SECONDS)만큼
    // 기다리세요. 이 함수가 끝나면 worker가 커밋합니다.
    // TODO(3-1-slow-worker): the retrospective's `await delay(15000)`: wait how_long
    // (WORK_SECONDS) here. The worker commits when this function returns.
    let _ = how_long;
}
