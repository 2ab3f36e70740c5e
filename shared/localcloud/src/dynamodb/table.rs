//! One table: its key schema, its items in key order, its TTL setting.
//!
//! Items are kept in a `BTreeMap` ordered by (partition key, sort key), so a
//! Query reads one partition in sort-key order, as DynamoDB returns it
//! (DDB-DG "Query operations": "Query results are always sorted by the sort
//! key value"; strings by their UTF-8 bytes, numbers by value, binaries as
//! unsigned bytes).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::error::{DynamoError, DynamoResult};
use super::value::{AttributeValue, Item, Number};

/// The three types a key attribute may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn parse(text: &str) -> Option<ScalarType> {
        match text {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

/// One key attribute's value, ordered as DynamoDB orders keys.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyPart {
    S(String),
    N(Number),
    B(Vec<u8>),
}

impl KeyPart {
    pub fn to_value(&self) -> AttributeValue {
        match self {
            KeyPart::S(s) => AttributeValue::S(s.clone()),
            KeyPart::N(n) => AttributeValue::N(n.clone()),
            KeyPart::B(b) => AttributeValue::B(b.clone()),
        }
    }
}

impl fmt::Display for KeyPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPart::S(s) => f.write_str(s),
            KeyPart::N(n) => write!(f, "{n}"),
            KeyPart::B(b) => f.write_str(&BASE64.encode(b)),
        }
    }
}

/// An item's place in the table.
pub type Key = (KeyPart, Option<KeyPart>);

/// The key schema: a partition key and maybe a sort key.
#[derive(Clone, Debug, PartialEq)]
pub struct KeySchema {
    pub partition: (String, ScalarType),
    pub sort: Option<(String, ScalarType)>,
}

/// The largest key values (DDB-DG "Service quotas": partition key 2048
/// bytes, sort key 1024 bytes).
const MAX_PARTITION_KEY_BYTES: usize = 2048;
const MAX_SORT_KEY_BYTES: usize = 1024;

impl KeySchema {
    pub fn names(&self) -> Vec<&str> {
        let mut names = vec![self.partition.0.as_str()];
        if let Some((sort, _)) = &self.sort {
            names.push(sort);
        }
        names
    }

    /// The key of a whole item (PutItem), with AWS's errors for a missing
    /// key attribute, a wrong type or an empty value.
    pub fn key_of_item(&self, item: &Item) -> DynamoResult<Key> {
        let partition = self.part(item, &self.partition, MAX_PARTITION_KEY_BYTES, true)?;
        let sort = match &self.sort {
            Some(sort) => Some(self.part(item, sort, MAX_SORT_KEY_BYTES, true)?),
            None => None,
        };
        Ok((partition, sort))
    }

    /// The key of a `Key` parameter (GetItem, UpdateItem, DeleteItem): the
    /// key attributes and nothing else.
    pub fn key_of_key(&self, key: &Item) -> DynamoResult<Key> {
        let mismatch =
            || DynamoError::validation("The provided key element does not match the schema");
        if key.len() != self.names().len() || self.names().iter().any(|n| !key.contains_key(*n)) {
            return Err(mismatch());
        }
        let partition = self.part(key, &self.partition, MAX_PARTITION_KEY_BYTES, false)?;
        let sort = match &self.sort {
            Some(sort) => Some(self.part(key, sort, MAX_SORT_KEY_BYTES, false)?),
            None => None,
        };
        Ok((partition, sort))
    }

    fn part(
        &self,
        item: &Item,
        (name, kind): &(String, ScalarType),
        max_bytes: usize,
        in_item: bool,
    ) -> DynamoResult<KeyPart> {
        let Some(value) = item.get(name) else {
            return Err(DynamoError::invalid_parameter(format!(
                "Missing the key {name} in the item"
            )));
        };
        let part = match (kind, value) {
            (ScalarType::S, AttributeValue::S(s)) => KeyPart::S(s.clone()),
            (ScalarType::N, AttributeValue::N(n)) => KeyPart::N(n.clone()),
            (ScalarType::B, AttributeValue::B(b)) => KeyPart::B(b.clone()),
            (kind, other) => {
                return Err(if in_item {
                    DynamoError::invalid_parameter(format!(
                        "Type mismatch for key {name} expected: {} actual: {}",
                        kind.name(),
                        other.type_name()
                    ))
                } else {
                    DynamoError::validation("The provided key element does not match the schema")
                });
            }
        };
        let empty = match &part {
            KeyPart::S(s) => s.is_empty(),
            KeyPart::B(b) => b.is_empty(),
            KeyPart::N(_) => false,
        };
        if empty {
            // moto and AWS since empty strings became legal outside keys
            // (2020): this wording.
            let what = if *kind == ScalarType::S {
                "string"
            } else {
                "binary"
            };
            return Err(DynamoError::validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {what} value. Key: {name}"
            )));
        }
        let size = match &part {
            KeyPart::S(s) => s.len(),
            KeyPart::B(b) => b.len(),
            KeyPart::N(_) => 0,
        };
        if size > max_bytes {
            let which = if max_bytes == MAX_PARTITION_KEY_BYTES {
                "Hash primary key"
            } else {
                "Aggregated size of all range keys"
            };
            return Err(DynamoError::invalid_parameter(format!(
                "Size of {which} has exceeded the size limit of {max_bytes} bytes"
            )));
        }
        Ok(part)
    }

    /// The key as an item (`LastEvaluatedKey`, a new UpdateItem item).
    pub fn key_item(&self, key: &Key) -> Item {
        let mut item = Item::new();
        item.insert(self.partition.0.clone(), key.0.to_value());
        if let (Some((name, _)), Some(sort)) = (&self.sort, &key.1) {
            item.insert(name.clone(), sort.to_value());
        }
        item
    }

    /// `id=job-1` or `pk=a, sk=3`, for events and the console.
    pub fn describe(&self, key: &Key) -> String {
        let mut text = format!("{}={}", self.partition.0, key.0);
        if let (Some((name, _)), Some(sort)) = (&self.sort, &key.1) {
            text.push_str(&format!(", {name}={sort}"));
        }
        text
    }
}

/// How a table is billed (AWS's names).
#[derive(Clone, Debug, PartialEq)]
pub enum Billing {
    PayPerRequest,
    Provisioned { read: i64, write: i64 },
}

/// A table's Time to Live setting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ttl {
    pub enabled: bool,
    /// The attribute holding each item's expiry (epoch seconds).
    pub attribute: Option<String>,
    /// When UpdateTimeToLive last changed it (epoch milliseconds): AWS
    /// refuses another change for an hour.
    pub changed_epoch_millis: Option<i64>,
}

/// One table.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub key: KeySchema,
    pub billing: Billing,
    pub created_epoch_millis: i64,
    pub ttl: Ttl,
    pub items: BTreeMap<Key, Item>,
}

impl Table {
    /// The table as DescribeTable answers (`Table`), with `status`.
    pub fn description(&self, status: &str) -> Value {
        let mut definitions = vec![json!({
            "AttributeName": self.key.partition.0,
            "AttributeType": self.key.partition.1.name(),
        })];
        let mut schema = vec![json!({"AttributeName": self.key.partition.0, "KeyType": "HASH"})];
        if let Some((name, kind)) = &self.key.sort {
            definitions.push(json!({"AttributeName": name, "AttributeType": kind.name()}));
            schema.push(json!({"AttributeName": name, "KeyType": "RANGE"}));
        }
        let created = self.created_epoch_millis as f64 / 1000.0;
        let (read, write, billing) = match self.billing {
            Billing::PayPerRequest => (0, 0, "PAY_PER_REQUEST"),
            Billing::Provisioned { read, write } => (read, write, "PROVISIONED"),
        };
        let mut description = json!({
            "AttributeDefinitions": definitions,
            "TableName": self.name,
            "KeySchema": schema,
            "TableStatus": status,
            "CreationDateTime": created,
            "ProvisionedThroughput": {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": read,
                "WriteCapacityUnits": write,
            },
            "TableSizeBytes": self.items.values().map(super::value::item_size).sum::<usize>(),
            "ItemCount": self.items.len(),
            "TableArn": self.arn,
            "TableId": self.id,
            "DeletionProtectionEnabled": false,
        });
        if billing == "PAY_PER_REQUEST" {
            description["BillingModeSummary"] = json!({
                "BillingMode": billing,
                "LastUpdateToPayPerRequestDateTime": created,
            });
        }
        description
    }

    /// The item's expiry (epoch seconds) when TTL is on and the item has a
    /// number there. DDB-DG "Time to Live": the attribute must be a Number
    /// in epoch seconds; items without it, or with another type, never
    /// expire.
    pub fn expiry_of(&self, item: &Item) -> Option<i64> {
        if !self.ttl.enabled {
            return None;
        }
        let name = self.ttl.attribute.as_deref()?;
        match item.get(name) {
            Some(AttributeValue::N(n)) => n.to_i64(),
            _ => None,
        }
    }
}
