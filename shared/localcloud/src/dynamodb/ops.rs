//! One function per DynamoDB operation, as the API reference describes it
//! (DDB-API, <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/>).
//! Each takes its request shape (read by [`super::protocol`]) and returns
//! its response as JSON, or a [`DynamoError`] with AWS's code and message.
//!
//! What localcloud does differently (docs/sqs-differences.md, "DynamoDB"):
//! tables are `ACTIVE` at once (AWS: `CREATING` for a moment) and deleted
//! at once; TTL is `ENABLED` at once (AWS: `ENABLING`, up to an hour);
//! every read is strongly consistent; no indexes, streams, transactions or
//! batch operations.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{DynamoError, DynamoResult, ErrorCode};
use super::expr::{self, Context};
use super::table::{Billing, Key, KeyPart, KeySchema, ScalarType, Table, Ttl};
use super::value::{
    AttributeValue, Item, check_item_size, item_from_json, item_size, item_to_json,
};
use super::{DynamoDb, State};
use crate::events::EventKind;

/// A Query or Scan page stops at 1 MB of items (DDB-API Query: "A single
/// Query operation will read up to the maximum number of items set (if
/// using the Limit parameter) or a maximum of 1 MB of data").
const MAX_PAGE_BYTES: usize = 1024 * 1024;

// ---------------------------------------------------------------- tables

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughput {
    pub read_capacity_units: Option<i64>,
    pub write_capacity_units: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableRequest {
    pub table_name: String,
    #[serde(default)]
    pub attribute_definitions: Vec<AttributeDefinition>,
    #[serde(default)]
    pub key_schema: Vec<KeySchemaElement>,
    pub billing_mode: Option<String>,
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    pub global_secondary_indexes: Option<Value>,
    pub local_secondary_indexes: Option<Value>,
}

/// Table names: 3 to 255 of `[a-zA-Z0-9_.-]` (DDB-API CreateTable).
fn check_table_name(name: &str) -> DynamoResult<()> {
    let constraint = |what: &str| {
        DynamoError::validation(format!(
            "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: {what}"
        ))
    };
    if name.len() < 3 {
        return Err(constraint(
            "Member must have length greater than or equal to 3",
        ));
    }
    if name.len() > 255 {
        return Err(constraint(
            "Member must have length less than or equal to 255",
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        return Err(constraint(
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ));
    }
    Ok(())
}

pub fn create_table(db: &DynamoDb, request: CreateTableRequest) -> DynamoResult<Value> {
    check_table_name(&request.table_name)?;
    if request.global_secondary_indexes.is_some() || request.local_secondary_indexes.is_some() {
        return Err(DynamoError::validation(
            "localcloud's DynamoDB has no secondary indexes: remove GlobalSecondaryIndexes and LocalSecondaryIndexes (a difference from AWS, listed in docs/sqs-differences.md)",
        ));
    }
    let key = key_schema(&request)?;
    let billing = match (
        request.billing_mode.as_deref(),
        &request.provisioned_throughput,
    ) {
        (Some("PAY_PER_REQUEST"), None) => Billing::PayPerRequest,
        (Some("PAY_PER_REQUEST"), Some(_)) => {
            return Err(DynamoError::invalid_parameter(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ));
        }
        (Some("PROVISIONED") | None, Some(throughput)) => {
            match (
                throughput.read_capacity_units,
                throughput.write_capacity_units,
            ) {
                (Some(read), Some(write)) if read >= 1 && write >= 1 => {
                    Billing::Provisioned { read, write }
                }
                _ => {
                    return Err(DynamoError::invalid_parameter(
                        "ReadCapacityUnits and WriteCapacityUnits must both be specified and at least 1 when BillingMode is PROVISIONED",
                    ));
                }
            }
        }
        (Some("PROVISIONED") | None, None) => {
            return Err(DynamoError::invalid_parameter(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ));
        }
        (Some(other), _) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
            )));
        }
    };
    let now = db.now_millis();
    let mut state = db.state();
    if state.tables.contains_key(&request.table_name) {
        return Err(DynamoError::new(
            ErrorCode::ResourceInUseException,
            format!("Table already exists: {}", request.table_name),
        ));
    }
    let arn = format!(
        "arn:aws:dynamodb:{}:{}:table/{}",
        state.region, state.account_id, request.table_name
    );
    let table = Table {
        name: request.table_name.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        arn,
        key,
        billing,
        created_epoch_millis: now,
        ttl: Ttl::default(),
        items: BTreeMap::new(),
    };
    // AWS answers CREATING and turns ACTIVE a moment later; localcloud's
    // table is ready at once, and says so.
    let description = table.description("ACTIVE");
    state.tables.insert(request.table_name.clone(), table);
    drop(state);
    db.emit(EventKind::TableCreated {
        table: request.table_name,
    });
    Ok(json!({ "TableDescription": description }))
}

fn key_schema(request: &CreateTableRequest) -> DynamoResult<KeySchema> {
    let invalid = DynamoError::invalid_parameter;
    let hash: Vec<_> = request
        .key_schema
        .iter()
        .filter(|k| k.key_type == "HASH")
        .collect();
    let range: Vec<_> = request
        .key_schema
        .iter()
        .filter(|k| k.key_type == "RANGE")
        .collect();
    if let Some(other) = request
        .key_schema
        .iter()
        .find(|k| k.key_type != "HASH" && k.key_type != "RANGE")
    {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{}' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]",
            other.key_type
        )));
    }
    if hash.len() != 1 || range.len() > 1 || request.key_schema.len() > 2 {
        return Err(invalid(
            "Invalid KeySchema: a table needs exactly one HASH key and at most one RANGE key",
        ));
    }
    if request.key_schema[0].key_type != "HASH" {
        return Err(invalid(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if request.attribute_definitions.len() != request.key_schema.len() {
        return Err(invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let type_of = |name: &str| -> DynamoResult<ScalarType> {
        let definition = request
            .attribute_definitions
            .iter()
            .find(|d| d.attribute_name == name)
            .ok_or_else(|| {
                let defined: Vec<&str> = request
                    .attribute_definitions
                    .iter()
                    .map(|d| d.attribute_name.as_str())
                    .collect();
                DynamoError::invalid_parameter(format!(
                    "Some index key attributes are not defined in AttributeDefinitions. Keys: [{name}], AttributeDefinitions: [{}]",
                    defined.join(", ")
                ))
            })?;
        ScalarType::parse(&definition.attribute_type).ok_or_else(|| {
            DynamoError::validation(format!(
                "1 validation error detected: Value '{}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                definition.attribute_type
            ))
        })
    };
    let partition = &hash[0].attribute_name;
    let sort = match range.first() {
        Some(r) => Some((r.attribute_name.clone(), type_of(&r.attribute_name)?)),
        None => None,
    };
    Ok(KeySchema {
        partition: (partition.clone(), type_of(partition)?),
        sort,
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableNameRequest {
    pub table_name: String,
}

pub fn describe_table(db: &DynamoDb, request: TableNameRequest) -> DynamoResult<Value> {
    let mut state = db.state();
    db.sweep(&mut state, &request.table_name);
    let table = state
        .tables
        .get(&request.table_name)
        .ok_or_else(|| not_found(&request.table_name))?;
    Ok(json!({ "Table": table.description("ACTIVE") }))
}

/// DescribeTable and DeleteTable name the table in their message.
fn not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::ResourceNotFoundException,
        format!("Requested resource not found: Table: {name} not found"),
    )
}

pub fn delete_table(db: &DynamoDb, request: TableNameRequest) -> DynamoResult<Value> {
    let mut state = db.state();
    let table = state
        .tables
        .remove(&request.table_name)
        .ok_or_else(|| not_found(&request.table_name))?;
    drop(state);
    db.emit(EventKind::TableDeleted {
        table: request.table_name,
    });
    Ok(json!({ "TableDescription": table.description("DELETING") }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesRequest {
    pub exclusive_start_table_name: Option<String>,
    pub limit: Option<i64>,
}

pub fn list_tables(db: &DynamoDb, request: ListTablesRequest) -> DynamoResult<Value> {
    let limit = request.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {} 100",
            if limit < 1 {
                "greater than or equal to 1, and less than or equal to"
            } else {
                "less than or equal to"
            }
        )));
    }
    let state = db.state();
    let names: Vec<&String> = state
        .tables
        .keys()
        .filter(|name| {
            request
                .exclusive_start_table_name
                .as_ref()
                .is_none_or(|start| *name > start)
        })
        .collect();
    let limit = usize::try_from(limit).unwrap_or(100);
    let page: Vec<&String> = names.iter().take(limit).copied().collect();
    let mut answer = json!({ "TableNames": page });
    if names.len() > limit
        && let Some(last) = page.last()
    {
        answer["LastEvaluatedTableName"] = json!(last);
    }
    Ok(answer)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveSpecification {
    pub enabled: bool,
    pub attribute_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveRequest {
    pub table_name: String,
    pub time_to_live_specification: TimeToLiveSpecification,
}

/// How long after one UpdateTimeToLive another is refused (DDB-API
/// UpdateTimeToLive: "It can take up to one hour for the change to fully
/// process. Any additional UpdateTimeToLive calls for the same table during
/// this one hour duration result in a ValidationException").
pub const TTL_CHANGE_INTERVAL_MILLIS: i64 = 3600 * 1000;

/// DDB-API UpdateTimeToLive. AWS takes up to an hour to turn TTL on
/// (`ENABLING`); localcloud turns it on at once, and, as AWS, refuses a
/// second change within the hour.
pub fn update_time_to_live(db: &DynamoDb, request: UpdateTimeToLiveRequest) -> DynamoResult<Value> {
    let spec = request.time_to_live_specification;
    if spec.attribute_name.is_empty() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let now = db.now_millis();
    let mut state = db.state();
    let table = state
        .tables
        .get_mut(&request.table_name)
        .ok_or_else(DynamoError::table_not_found)?;
    match (table.ttl.enabled, spec.enabled) {
        (true, true) => {
            return Err(DynamoError::validation("TimeToLive is already enabled"));
        }
        (false, false) => {
            return Err(DynamoError::validation("TimeToLive is already disabled"));
        }
        _ => {}
    }
    if table
        .ttl
        .changed_epoch_millis
        .is_some_and(|at| now.saturating_sub(at) < TTL_CHANGE_INTERVAL_MILLIS)
    {
        // AWS's words (the API reference names only the exception).
        return Err(DynamoError::validation(
            "Time to live has been modified multiple times within a fixed interval",
        ));
    }
    table.ttl = Ttl {
        enabled: spec.enabled,
        attribute: Some(spec.attribute_name.clone()),
        changed_epoch_millis: Some(now),
    };
    Ok(json!({
        "TimeToLiveSpecification": {
            "Enabled": spec.enabled,
            "AttributeName": spec.attribute_name,
        }
    }))
}

pub fn describe_time_to_live(db: &DynamoDb, request: TableNameRequest) -> DynamoResult<Value> {
    let state = db.state();
    let table = state
        .tables
        .get(&request.table_name)
        .ok_or_else(DynamoError::table_not_found)?;
    let mut description = json!({
        "TimeToLiveStatus": if table.ttl.enabled { "ENABLED" } else { "DISABLED" },
    });
    if table.ttl.enabled
        && let Some(name) = &table.ttl.attribute
    {
        description["AttributeName"] = json!(name);
    }
    Ok(json!({ "TimeToLiveDescription": description }))
}

// ----------------------------------------------------------------- items

/// The members every expression-taking request shares.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Expressions {
    pub condition_expression: Option<String>,
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    pub expression_attribute_values: Option<Value>,
    /// The legacy parameters, refused with a pointer to expressions.
    pub expected: Option<Value>,
    pub attributes_to_get: Option<Value>,
    pub attribute_updates: Option<Value>,
    pub key_conditions: Option<Value>,
    pub query_filter: Option<Value>,
    pub scan_filter: Option<Value>,
}

/// The expressions' names and values, checked as AWS checks them.
struct Parsed {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
}

impl Expressions {
    fn read(&self, any_expression: bool) -> DynamoResult<Parsed> {
        for (legacy, given) in [
            ("Expected", self.expected.is_some()),
            ("AttributesToGet", self.attributes_to_get.is_some()),
            ("AttributeUpdates", self.attribute_updates.is_some()),
            ("KeyConditions", self.key_conditions.is_some()),
            ("QueryFilter", self.query_filter.is_some()),
            ("ScanFilter", self.scan_filter.is_some()),
        ] {
            if given {
                return Err(DynamoError::validation(format!(
                    "{legacy} is a legacy parameter that localcloud does not emulate: use the expression parameters (ConditionExpression, ProjectionExpression, UpdateExpression, KeyConditionExpression, FilterExpression)"
                )));
            }
        }
        let names = self.expression_attribute_names.clone().unwrap_or_default();
        let values = match &self.expression_attribute_values {
            Some(values) => item_from_json(values)?,
            None => BTreeMap::new(),
        };
        if self
            .expression_attribute_names
            .as_ref()
            .is_some_and(BTreeMap::is_empty)
        {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames must not be empty",
            ));
        }
        if self.expression_attribute_values.is_some() && values.is_empty() {
            return Err(DynamoError::validation(
                "ExpressionAttributeValues must not be empty",
            ));
        }
        if !any_expression {
            if !values.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
            if !names.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
        }
        for name in values.keys() {
            if !name.starts_with(':') {
                return Err(DynamoError::validation(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{name}\""
                )));
            }
        }
        for name in names.keys() {
            if !name.starts_with('#') {
                return Err(DynamoError::validation(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{name}\""
                )));
            }
        }
        Ok(Parsed { names, values })
    }
}

/// `ReturnValues` as each operation allows it.
fn return_values(given: Option<&str>, allowed: &[&str]) -> DynamoResult<String> {
    let value = given.unwrap_or("NONE");
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(DynamoError::validation(
            "Return values set to invalid value",
        ))
    }
}

fn on_failure(given: Option<&str>) -> DynamoResult<bool> {
    match given.unwrap_or("NONE") {
        "NONE" => Ok(false),
        "ALL_OLD" => Ok(true),
        other => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        ))),
    }
}

fn table_mut<'a>(state: &'a mut State, name: &str) -> DynamoResult<&'a mut Table> {
    state
        .tables
        .get_mut(name)
        .ok_or_else(DynamoError::table_not_found)
}

/// `ConsumedCapacity` when asked (`TOTAL` or `INDEXES`): one write unit per
/// KB written, one read unit per 4 KB read (half for an eventually
/// consistent read) (DDB-DG "Read/write capacity mode").
fn consumed(answer: &mut Value, asked: Option<&str>, table: &str, units: f64) {
    if matches!(asked, Some("TOTAL") | Some("INDEXES")) {
        answer["ConsumedCapacity"] = json!({ "TableName": table, "CapacityUnits": units });
    }
}

fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Evaluates a write's condition on the item as it is; on failure, the
/// event and AWS's error (with the item when asked).
fn check_condition(
    db: &DynamoDb,
    table: &Table,
    key: &Key,
    operation: &str,
    condition: Option<&expr::Condition>,
    current: Option<&Item>,
    return_old_on_failure: bool,
) -> DynamoResult<()> {
    let Some(condition) = condition else {
        return Ok(());
    };
    if condition.eval(current)? {
        return Ok(());
    }
    db.emit(EventKind::ConditionalCheckFailed {
        table: table.name.clone(),
        operation: operation.to_owned(),
        key: table.key.describe(key),
    });
    Err(DynamoError::condition_failed(
        current.filter(|_| return_old_on_failure).cloned(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemRequest {
    pub table_name: String,
    pub item: Value,
    pub return_values: Option<String>,
    pub return_values_on_condition_check_failure: Option<String>,
    pub return_consumed_capacity: Option<String>,
    #[serde(flatten)]
    pub expressions: Expressions,
}

pub fn put_item(db: &DynamoDb, request: PutItemRequest) -> DynamoResult<Value> {
    let item = item_from_json(&request.item)?;
    let returns = return_values(request.return_values.as_deref(), &["NONE", "ALL_OLD"])?;
    let old_on_failure = on_failure(request.return_values_on_condition_check_failure.as_deref())?;
    let parsed = request
        .expressions
        .read(request.expressions.condition_expression.is_some())?;
    let mut ctx = Context::new(&parsed.names, &parsed.values);
    let condition = match &request.expressions.condition_expression {
        Some(text) => Some(expr::parse_condition(text, &mut ctx)?),
        None => None,
    };
    ctx.check_all_used()?;
    let mut state = db.state();
    db.sweep(&mut state, &request.table_name);
    let table = table_mut(&mut state, &request.table_name)?;
    let key = table.key.key_of_item(&item)?;
    check_item_size(&item)?;
    let current = table.items.get(&key);
    check_condition(
        db,
        table,
        &key,
        "PutItem",
        condition.as_ref(),
        current,
        old_on_failure,
    )?;
    let units = write_units(item_size(&item).max(current.map_or(0, item_size)));
    let old = table.items.insert(key.clone(), item);
    let described = table.key.describe(&key);
    let name = table.name.clone();
    drop(state);
    db.emit(EventKind::ItemWritten {
        table: name.clone(),
        operation: "PutItem".into(),
        key: described,
    });
    let mut answer = json!({});
    if returns == "ALL_OLD"
        && let Some(old) = old
    {
        answer["Attributes"] = item_to_json(&old);
    }
    consumed(
        &mut answer,
        request.return_consumed_capacity.as_deref(),
        &name,
        units,
    );
    Ok(answer)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemRequest {
    pub table_name: String,
    pub key: Value,
    pub projection_expression: Option<String>,
    pub consistent_read: Option<bool>,
    pub return_consumed_capacity: Option<String>,
    #[serde(flatten)]
    pub expressions: Expressions,
}

pub fn get_item(db: &DynamoDb, request: GetItemRequest) -> DynamoResult<Value> {
    let key_item = item_from_json(&request.key)?;
    let parsed = request
        .expressions
        .read(request.projection_expression.is_some())?;
    if !parsed.values.is_empty() {
        return Err(DynamoError::validation(
            "ExpressionAttributeValues can only be specified when using expressions: ProjectionExpression does not use values",
        ));
    }
    let mut ctx = Context::new(&parsed.names, &parsed.values);
    let projection = match &request.projection_expression {
        Some(text) => Some(expr::parse_projection(text, &mut ctx)?),
        None => None,
    };
    ctx.check_all_used()?;
    let mut state = db.state();
    db.sweep(&mut state, &request.table_name);
    let table = table_mut(&mut state, &request.table_name)?;
    let key = table.key.key_of_key(&key_item)?;
    let mut answer = json!({});
    let found = table.items.get(&key);
    if let Some(item) = found {
        let shown = match &projection {
            Some(projection) => projection.apply(item),
            None => item.clone(),
        };
        answer["Item"] = item_to_json(&shown);
    }
    let units = read_units(
        found.map_or(0, item_size),
        request.consistent_read.unwrap_or(false),
    );
    consumed(
        &mut answer,
        request.return_consumed_capacity.as_deref(),
        &table.name,
        units,
    );
    Ok(answer)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemRequest {
    pub table_name: String,
    pub key: Value,
    pub update_expression: Option<String>,
    pub return_values: Option<String>,
    pub return_values_on_condition_check_failure: Option<String>,
    pub return_consumed_capacity: Option<String>,
    #[serde(flatten)]
    pub expressions: Expressions,
}

/// DDB-API UpdateItem: "Edits an existing item's attributes, or adds a new
/// item to the table if it does not already exist."
pub fn update_item(db: &DynamoDb, request: UpdateItemRequest) -> DynamoResult<Value> {
    let key_item = item_from_json(&request.key)?;
    let returns = return_values(
        request.return_values.as_deref(),
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    )?;
    let old_on_failure = on_failure(request.return_values_on_condition_check_failure.as_deref())?;
    let parsed = request.expressions.read(
        request.update_expression.is_some() || request.expressions.condition_expression.is_some(),
    )?;
    let mut ctx = Context::new(&parsed.names, &parsed.values);
    let update = match &request.update_expression {
        Some(text) => Some(expr::parse_update(text, &mut ctx)?),
        None => None,
    };
    let condition = match &request.expressions.condition_expression {
        Some(text) => Some(expr::parse_condition(text, &mut ctx)?),
        None => None,
    };
    ctx.check_all_used()?;
    let mut state = db.state();
    db.sweep(&mut state, &request.table_name);
    let table = table_mut(&mut state, &request.table_name)?;
    let key = table.key.key_of_key(&key_item)?;
    let current = table.items.get(&key);
    check_condition(
        db,
        table,
        &key,
        "UpdateItem",
        condition.as_ref(),
        current,
        old_on_failure,
    )?;
    let old = current.cloned();
    let mut new = old.clone().unwrap_or_else(|| table.key.key_item(&key));
    if let Some(update) = &update {
        update.apply(&mut new, &table.key.names())?;
    }
    check_item_size(&new)?;
    let units = write_units(item_size(&new).max(old.as_ref().map_or(0, item_size)));
    // An update that only removes attributes leaves a missing item missing
    // (and without an update expression, the item is created, key only).
    let written = old.is_some() || !update.as_ref().is_some_and(|u| u.only_removes());
    if written {
        table.items.insert(key.clone(), new.clone());
    }
    let described = table.key.describe(&key);
    let name = table.name.clone();
    drop(state);
    if written {
        db.emit(EventKind::ItemWritten {
            table: name.clone(),
            operation: "UpdateItem".into(),
            key: described,
        });
    }
    let updated = update.as_ref().map(|u| u.updated());
    let only_updated = |item: &Item| -> Item {
        updated
            .as_ref()
            .map(|projection| projection.apply(item))
            .unwrap_or_default()
    };
    let attributes = match returns.as_str() {
        "ALL_OLD" => old.clone(),
        "UPDATED_OLD" => old.as_ref().map(only_updated),
        "ALL_NEW" => written.then(|| new.clone()),
        "UPDATED_NEW" => written.then(|| only_updated(&new)),
        _ => None,
    };
    let mut answer = json!({});
    if let Some(attributes) = attributes.filter(|a| !a.is_empty()) {
        answer["Attributes"] = item_to_json(&attributes);
    }
    consumed(
        &mut answer,
        request.return_consumed_capacity.as_deref(),
        &name,
        units,
    );
    Ok(answer)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemRequest {
    pub table_name: String,
    pub key: Value,
    pub return_values: Option<String>,
    pub return_values_on_condition_check_failure: Option<String>,
    pub return_consumed_capacity: Option<String>,
    #[serde(flatten)]
    pub expressions: Expressions,
}

pub fn delete_item(db: &DynamoDb, request: DeleteItemRequest) -> DynamoResult<Value> {
    let key_item = item_from_json(&request.key)?;
    let returns = return_values(request.return_values.as_deref(), &["NONE", "ALL_OLD"])?;
    let old_on_failure = on_failure(request.return_values_on_condition_check_failure.as_deref())?;
    let parsed = request
        .expressions
        .read(request.expressions.condition_expression.is_some())?;
    let mut ctx = Context::new(&parsed.names, &parsed.values);
    let condition = match &request.expressions.condition_expression {
        Some(text) => Some(expr::parse_condition(text, &mut ctx)?),
        None => None,
    };
    ctx.check_all_used()?;
    let mut state = db.state();
    db.sweep(&mut state, &request.table_name);
    let table = table_mut(&mut state, &request.table_name)?;
    let key = table.key.key_of_key(&key_item)?;
    let current = table.items.get(&key);
    check_condition(
        db,
        table,
        &key,
        "DeleteItem",
        condition.as_ref(),
        current,
        old_on_failure,
    )?;
    let units = write_units(current.map_or(0, item_size));
    let old = table.items.remove(&key);
    let described = table.key.describe(&key);
    let name = table.name.clone();
    drop(state);
    if old.is_some() {
        db.emit(EventKind::ItemWritten {
            table: name.clone(),
            operation: "DeleteItem".into(),
            key: described,
        });
    }
    let mut answer = json!({});
    if returns == "ALL_OLD"
        && let Some(old) = old
    {
        answer["Attributes"] = item_to_json(&old);
    }
    consumed(
        &mut answer,
        request.return_consumed_capacity.as_deref(),
        &name,
        units,
    );
    Ok(answer)
}

// -------------------------------------------------------- query and scan

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadManyRequest {
    pub table_name: String,
    pub index_name: Option<String>,
    pub key_condition_expression: Option<String>,
    pub filter_expression: Option<String>,
    pub projection_expression: Option<String>,
    pub scan_index_forward: Option<bool>,
    pub limit: Option<i64>,
    pub exclusive_start_key: Option<Value>,
    pub select: Option<String>,
    pub consistent_read: Option<bool>,
    pub return_consumed_capacity: Option<String>,
    pub segment: Option<i64>,
    pub total_segments: Option<i64>,
    #[serde(flatten)]
    pub expressions: Expressions,
}

pub fn query(db: &DynamoDb, request: ReadManyRequest) -> DynamoResult<Value> {
    read_many(db, request, true)
}

pub fn scan(db: &DynamoDb, request: ReadManyRequest) -> DynamoResult<Value> {
    read_many(db, request, false)
}

/// Query (one partition, in sort-key order, forward or back) and Scan
/// (every item, in key order): `Limit` counts the items read before the
/// filter (`ScannedCount`), a page stops at 1 MB, `LastEvaluatedKey` says
/// where the next page starts.
fn read_many(db: &DynamoDb, request: ReadManyRequest, is_query: bool) -> DynamoResult<Value> {
    let what = if is_query { "Query" } else { "Scan" };
    if request.index_name.is_some() {
        return Err(DynamoError::validation(
            "localcloud's DynamoDB has no secondary indexes: IndexName cannot be used (a difference from AWS, listed in docs/sqs-differences.md)",
        ));
    }
    if request.segment.is_some() || request.total_segments.is_some() {
        return Err(DynamoError::validation(
            "localcloud's DynamoDB does not split a Scan into segments: leave out Segment and TotalSegments",
        ));
    }
    if is_query && request.key_condition_expression.is_none() {
        return Err(DynamoError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }
    if !is_query && request.key_condition_expression.is_some() {
        return Err(DynamoError::serialization(
            "KeyConditionExpression is a member of Query, not of Scan",
        ));
    }
    if let Some(limit) = request.limit
        && limit < 1
    {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        )));
    }
    let select = request.select.as_deref().unwrap_or("ALL_ATTRIBUTES");
    if ![
        "ALL_ATTRIBUTES",
        "COUNT",
        "SPECIFIC_ATTRIBUTES",
        "ALL_PROJECTED_ATTRIBUTES",
    ]
    .contains(&select)
    {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{select}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
        )));
    }
    if select == "ALL_PROJECTED_ATTRIBUTES" {
        return Err(DynamoError::validation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        ));
    }
    if select == "SPECIFIC_ATTRIBUTES" && request.projection_expression.is_none() {
        return Err(DynamoError::validation(
            "SPECIFIC_ATTRIBUTES requires ProjectionExpression or AttributesToGet",
        ));
    }
    let parsed = request.expressions.read(true)?;
    if request.expressions.condition_expression.is_some() {
        return Err(DynamoError::serialization(format!(
            "ConditionExpression is not a member of {what}: use FilterExpression"
        )));
    }
    let mut ctx = Context::new(&parsed.names, &parsed.values);
    let start = match &request.exclusive_start_key {
        Some(value) => Some(item_from_json(value)?),
        None => None,
    };
    let mut state = db.state();
    db.sweep(&mut state, &request.table_name);
    let table = table_mut(&mut state, &request.table_name)?;
    let schema = table.key.clone();
    let key_condition = match &request.key_condition_expression {
        Some(text) => Some(expr::parse_key_condition(
            text,
            &mut ctx,
            &schema.partition.0,
            schema.sort.as_ref().map(|(n, _)| n.as_str()),
        )?),
        None => None,
    };
    let filter = match &request.filter_expression {
        Some(text) => Some(expr::parse_filter(text, &mut ctx)?),
        None => None,
    };
    let projection = match &request.projection_expression {
        Some(text) => Some(expr::parse_projection(text, &mut ctx)?),
        None => None,
    };
    ctx.check_all_used()?;
    let start_key = match &start {
        Some(start) => Some(schema.key_of_key(start).map_err(|_| {
            DynamoError::validation("The provided starting key is invalid: The provided key element does not match the schema")
        })?),
        None => None,
    };

    // The candidates, in the order they are read.
    let candidates: Vec<(&Key, &Item)> = match &key_condition {
        Some(condition) => {
            let partition = match (&condition.partition.1, schema.partition.1) {
                (AttributeValue::S(s), ScalarType::S) => KeyPart::S(s.clone()),
                (AttributeValue::N(n), ScalarType::N) => KeyPart::N(n.clone()),
                (AttributeValue::B(b), ScalarType::B) => KeyPart::B(b.clone()),
                _ => {
                    return Err(DynamoError::validation(
                        "One or more parameter values were invalid: Condition parameter type does not match schema type",
                    ));
                }
            };
            let mut in_partition: Vec<(&Key, &Item)> = table
                .items
                .range((partition.clone(), None)..)
                .take_while(|(key, _)| key.0 == partition)
                .filter(|(key, _)| match (&condition.sort, &key.1) {
                    (Some(sort), Some(value)) => sort.matches(&value.to_value()),
                    _ => true,
                })
                .collect();
            if !request.scan_index_forward.unwrap_or(true) {
                in_partition.reverse();
            }
            in_partition
        }
        None => table.items.iter().collect(),
    };
    let forward = request.scan_index_forward.unwrap_or(true) || !is_query;
    let after_start: Vec<(&Key, &Item)> = match &start_key {
        Some(start) => candidates
            .into_iter()
            .filter(|(key, _)| if forward { *key > start } else { *key < start })
            .collect(),
        None => candidates,
    };

    let limit = request.limit.and_then(|l| usize::try_from(l).ok());
    let mut items = Vec::new();
    let mut scanned = 0usize;
    let mut bytes = 0usize;
    let mut last: Option<&Key> = None;
    let total = after_start.len();
    for (key, item) in after_start {
        if limit.is_some_and(|l| scanned >= l) || bytes >= MAX_PAGE_BYTES {
            break;
        }
        scanned += 1;
        bytes += item_size(item);
        last = Some(key);
        let keep = match &filter {
            Some(filter) => filter.eval(Some(item))?,
            None => true,
        };
        if keep {
            items.push(match &projection {
                Some(projection) => projection.apply(item),
                None => item.clone(),
            });
        }
    }
    let mut answer = json!({ "Count": items.len(), "ScannedCount": scanned });
    if select != "COUNT" {
        answer["Items"] = Value::Array(items.iter().map(item_to_json).collect());
    }
    if (scanned < total || limit.is_some_and(|l| scanned == l))
        && let Some(last) = last
    {
        answer["LastEvaluatedKey"] = item_to_json(&schema.key_item(last));
    }
    let units = read_units(bytes, request.consistent_read.unwrap_or(false));
    consumed(
        &mut answer,
        request.return_consumed_capacity.as_deref(),
        &table.name,
        units,
    );
    Ok(answer)
}
