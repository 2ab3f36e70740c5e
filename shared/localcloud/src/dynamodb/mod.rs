//! DynamoDB, the part an idempotent worker uses: tables with a key schema,
//! item operations with condition and update expressions, Query and Scan,
//! Time to Live, AWS's errors, over the AWS JSON 1.0 protocol
//! (`X-Amz-Target: DynamoDB_20120810.<Operation>`).
//!
//! - [`value`]: the ten attribute types, numbers, item sizes;
//! - [`expr`]: condition, update, projection and key condition expressions;
//! - [`table`]: a table's key schema and items in key order;
//! - [`ops`]: one function per operation, as the API reference describes it;
//! - [`protocol`]: the JSON 1.0 dispatch and error bodies.
//!
//! It is served on the same endpoint as localcloud's SQS (one port for
//! every service, as LocalStack does): the service reads `X-Amz-Target`
//! and sends `DynamoDB_20120810.*` here, so `AWS_ENDPOINT_URL_DYNAMODB` and
//! `AWS_ENDPOINT_URL_SQS` hold the same URL.
//!
//! Time comes only from the [`Clock`], so TTL is deterministic under
//! tokio's paused clock; every write, failed condition and TTL deletion is
//! reported on the same [`Events`] stream as SQS and Lambda.

pub mod error;
pub mod expr;
pub mod ops;
pub mod protocol;
pub mod table;
pub mod value;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::Clock;
use crate::events::{EventKind, Events};
pub use error::{DynamoError, DynamoResult, ErrorCode};
pub use table::Table;
pub use value::{AttributeValue, Item, Number};

/// How long after its expiry localcloud deletes an expired item. AWS:
/// "Items are typically deleted within a few days of their expiration time"
/// and until then "items that have expired, but haven't yet been deleted by
/// TTL, still appear in reads, queries, and scans" (DDB-DG "Time to Live
/// (TTL)", <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html>).
/// Two days: the docs' earlier "within 48 hours".
pub const DEFAULT_TTL_DELETE_AFTER: Duration = Duration::from_secs(2 * 24 * 3600);

/// Items whose expiry is further in the past than this are never deleted by
/// TTL (DDB-DG "Time to Live": "Items with an expiration time greater than
/// five years in the past are not deleted").
pub const TTL_IGNORED_OLDER_THAN_SECONDS: i64 = 5 * 365 * 24 * 3600;

/// One table as the console shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TableSnapshot {
    pub name: String,
    /// The key attributes, `id` or `pk, sk`.
    pub key: String,
    /// The TTL attribute when TTL is on.
    pub ttl_attribute: Option<String>,
    pub item_count: usize,
    /// The first items, in DynamoDB's JSON form.
    pub items: Vec<serde_json::Value>,
}

/// Account, region, clock and event stream of the emulated DynamoDB.
#[derive(Clone, Debug)]
pub struct DynamoConfig {
    pub account_id: String,
    pub region: String,
    pub clock: Clock,
    pub events: Events,
    /// See [`DEFAULT_TTL_DELETE_AFTER`].
    pub ttl_delete_after: Duration,
}

impl Default for DynamoConfig {
    fn default() -> Self {
        Self {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            clock: Clock::system(),
            events: Events::new(),
            ttl_delete_after: DEFAULT_TTL_DELETE_AFTER,
        }
    }
}

/// A handle to one emulated DynamoDB; clone it freely.
#[derive(Clone)]
pub struct DynamoDb {
    shared: Arc<Shared>,
}

struct Shared {
    clock: Clock,
    events: Events,
    ttl_delete_after: Duration,
    /// A `std` mutex: no await happens while it is held.
    state: Mutex<State>,
}

/// Every table of the account.
pub(crate) struct State {
    pub account_id: String,
    pub region: String,
    pub tables: BTreeMap<String, Table>,
}

impl DynamoDb {
    pub fn new(config: DynamoConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                clock: config.clock,
                events: config.events,
                ttl_delete_after: config.ttl_delete_after,
                state: Mutex::new(State {
                    account_id: config.account_id,
                    region: config.region,
                    tables: BTreeMap::new(),
                }),
            }),
        }
    }

    pub fn events(&self) -> Events {
        self.shared.events.clone()
    }

    /// Changes the region in table ARNs (a stack uses its service's region).
    pub fn set_region(&self, region: impl Into<String>) {
        self.state().region = region.into();
    }

    /// Creates a table from CreateTable's request (or an
    /// `AWS::DynamoDB::Table`'s `Properties`, which have the same shape;
    /// `TimeToLiveSpecification` is applied too). Returns the table's ARN.
    pub fn create_table_from_json(&self, request: &serde_json::Value) -> DynamoResult<String> {
        let parsed: ops::CreateTableRequest = protocol::parse_value(request)?;
        let ttl = request.get("TimeToLiveSpecification").cloned();
        let name = parsed.table_name.clone();
        ops::create_table(self, parsed)?;
        if let Some(ttl) = ttl {
            ops::update_time_to_live(
                self,
                ops::UpdateTimeToLiveRequest {
                    table_name: name.clone(),
                    time_to_live_specification: protocol::parse_value(&ttl)?,
                },
            )?;
        }
        self.table_arn(&name)
            .ok_or_else(DynamoError::table_not_found)
    }

    pub fn table_names(&self) -> Vec<String> {
        self.state().tables.keys().cloned().collect()
    }

    pub fn table_arn(&self, name: &str) -> Option<String> {
        self.state().tables.get(name).map(|t| t.arn.clone())
    }

    /// A copy of one table, its items included, after TTL deletions due
    /// now (for the console and tests).
    pub fn table(&self, name: &str) -> Option<Table> {
        let mut state = self.state();
        self.sweep(&mut state, name);
        state.tables.get(name).cloned()
    }

    /// Every table, with its first `items_shown` items in key order, after
    /// the TTL deletions due now: what the live console shows.
    pub fn snapshot(&self, items_shown: usize) -> Vec<TableSnapshot> {
        let names = self.table_names();
        let mut state = self.state();
        names
            .iter()
            .filter_map(|name| {
                self.sweep(&mut state, name);
                let table = state.tables.get(name)?;
                Some(TableSnapshot {
                    name: table.name.clone(),
                    key: table.key.names().join(", "),
                    ttl_attribute: table
                        .ttl
                        .enabled
                        .then(|| table.ttl.attribute.clone())
                        .flatten(),
                    item_count: table.items.len(),
                    items: table
                        .items
                        .values()
                        .take(items_shown)
                        .map(value::item_to_json)
                        .collect(),
                })
            })
            .collect()
    }

    /// Now, in epoch milliseconds, from the clock.
    pub(crate) fn now_millis(&self) -> i64 {
        self.shared.clock.epoch_millis()
    }

    pub(crate) fn emit(&self, kind: EventKind) {
        self.shared.events.emit(kind, self.now_millis());
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deletes the items of `table` whose TTL expiry is at least
    /// `ttl_delete_after` in the past (and not more than five years), as
    /// TTL's background process would have by now. Called before every
    /// operation on the table, so what a read sees depends only on the
    /// clock.
    pub(crate) fn sweep(&self, state: &mut State, table: &str) {
        let Some(table) = state.tables.get_mut(table) else {
            return;
        };
        if !table.ttl.enabled {
            return;
        }
        let now_seconds = self.now_millis().div_euclid(1000);
        let delay = i64::try_from(self.shared.ttl_delete_after.as_secs()).unwrap_or(i64::MAX);
        let due: Vec<table::Key> = table
            .items
            .iter()
            .filter(|(_, item)| {
                table.expiry_of(item).is_some_and(|expiry| {
                    expiry.saturating_add(delay) <= now_seconds
                        && now_seconds.saturating_sub(expiry) <= TTL_IGNORED_OLDER_THAN_SECONDS
                })
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in due {
            table.items.remove(&key);
            let event = EventKind::ItemExpired {
                table: table.name.clone(),
                key: table.key.describe(&key),
            };
            self.shared.events.emit(event, self.now_millis());
        }
    }
}

#[cfg(test)]
mod tests;
