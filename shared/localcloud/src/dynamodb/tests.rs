//! The operations through [`protocol::dispatch`], as a client's JSON
//! reaches them: tables, items, conditions, updates, Query and Scan, TTL
//! under tokio's paused clock, AWS's errors, and the events.

use std::time::Duration;

use serde_json::{Value, json};

use super::protocol::dispatch;
use super::*;
use crate::events::{Event, EventKind, Events};

fn db() -> DynamoDb {
    DynamoDb::new(DynamoConfig::default())
}

fn call(db: &DynamoDb, operation: &str, body: Value) -> Result<Value, DynamoError> {
    let bytes = dispatch(
        db,
        &format!("DynamoDB_20120810.{operation}"),
        body.to_string().as_bytes(),
    )?;
    Ok(serde_json::from_slice(&bytes).unwrap())
}

fn ok(db: &DynamoDb, operation: &str, body: Value) -> Value {
    call(db, operation, body).unwrap_or_else(|e| panic!("{operation}: {e}"))
}

fn err(db: &DynamoDb, operation: &str, body: Value) -> DynamoError {
    call(db, operation, body).expect_err("an error")
}

/// A table keyed by `id` (S), on demand, as the idempotent worker's.
fn jobs_table(db: &DynamoDb) {
    ok(
        db,
        "CreateTable",
        json!({
            "TableName": "jobs",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
}

#[tokio::test]
async fn tables_are_created_described_listed_and_deleted() {
    let db = db();
    let created = ok(
        &db,
        "CreateTable",
        json!({
            "TableName": "orders",
            "AttributeDefinitions": [
                {"AttributeName": "account", "AttributeType": "S"},
                {"AttributeName": "seq", "AttributeType": "N"}
            ],
            "KeySchema": [
                {"AttributeName": "account", "KeyType": "HASH"},
                {"AttributeName": "seq", "KeyType": "RANGE"}
            ],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        }),
    );
    assert_eq!(created["TableDescription"]["TableStatus"], "ACTIVE");
    assert_eq!(
        created["TableDescription"]["TableArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    );
    jobs_table(&db);
    assert_eq!(
        ok(&db, "ListTables", json!({}))["TableNames"],
        json!(["jobs", "orders"])
    );
    let page = ok(&db, "ListTables", json!({"Limit": 1}));
    assert_eq!(page["LastEvaluatedTableName"], "jobs");
    assert_eq!(
        ok(
            &db,
            "ListTables",
            json!({"ExclusiveStartTableName": "jobs"})
        )["TableNames"],
        json!(["orders"])
    );
    let e = err(
        &db,
        "CreateTable",
        json!({
            "TableName": "jobs",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorCode::ResourceInUseException,
            "Table already exists: jobs"
        )
    );
    assert_eq!(
        ok(&db, "DeleteTable", json!({"TableName": "orders"}))["TableDescription"]["TableStatus"],
        "DELETING"
    );
    let e = err(&db, "DescribeTable", json!({"TableName": "orders"}));
    assert_eq!(e.code, ErrorCode::ResourceNotFoundException);
    assert_eq!(
        e.message,
        "Requested resource not found: Table: orders not found"
    );
    let e = err(
        &db,
        "GetItem",
        json!({"TableName": "orders", "Key": {"account": {"S": "a"}, "seq": {"N": "1"}}}),
    );
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorCode::ResourceNotFoundException,
            "Requested resource not found"
        )
    );
}

#[tokio::test]
async fn bad_table_definitions_get_aws_errors() {
    let db = db();
    let cases = [
        (
            json!({"TableName": "ab", "AttributeDefinitions": [], "KeySchema": []}),
            "Member must have length greater than or equal to 3",
        ),
        (
            json!({"TableName": "a b c", "AttributeDefinitions": [], "KeySchema": []}),
            "regular expression pattern",
        ),
        (
            json!({
                "TableName": "tab1",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            }),
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        ),
        (
            json!({
                "TableName": "tab1", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            }),
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ),
        (
            json!({
                "TableName": "tab1", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "X"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            }),
            "Member must satisfy enum value set: [B, N, S]",
        ),
        (
            json!({"AttributeDefinitions": [], "KeySchema": []}),
            "Value null at 'tableName' failed to satisfy constraint: Member must not be null",
        ),
    ];
    for (request, expected) in cases {
        let e = err(&db, "CreateTable", request.clone());
        assert_eq!(e.code, ErrorCode::ValidationException, "{request}");
        assert!(e.message.contains(expected), "{request}: {}", e.message);
    }
    let e = call(&db, "CreateTable", json!(null)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SerializationException);
    let e = dispatch(&db, "DynamoDB_20120810.PutItem", b"{not json").unwrap_err();
    assert_eq!(e.code, ErrorCode::SerializationException);
    let e = dispatch(&db, "DynamoDB_20120810.BatchWriteItem", b"{}").unwrap_err();
    assert!(e.message.contains("does not emulate"), "{}", e.message);
    let e = dispatch(&db, "AmazonSQS.SendMessage", b"{}").unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownOperationException);
}

#[tokio::test]
async fn items_are_put_read_and_deleted_by_their_key() {
    let db = db();
    jobs_table(&db);
    let item = json!({"id": {"S": "job-1"}, "n": {"N": "1.50"}, "tags": {"SS": ["a", "b"]}});
    assert_eq!(
        ok(&db, "PutItem", json!({"TableName": "jobs", "Item": item})),
        json!({})
    );
    let got = ok(
        &db,
        "GetItem",
        json!({"TableName": "jobs", "Key": {"id": {"S": "job-1"}}}),
    );
    assert_eq!(got["Item"]["n"], json!({"N": "1.5"}));
    assert_eq!(
        ok(
            &db,
            "GetItem",
            json!({"TableName": "jobs", "Key": {"id": {"S": "nope"}}})
        ),
        json!({})
    );
    let replaced = ok(
        &db,
        "PutItem",
        json!({
            "TableName": "jobs", "Item": {"id": {"S": "job-1"}}, "ReturnValues": "ALL_OLD",
        }),
    );
    assert_eq!(replaced["Attributes"]["n"], json!({"N": "1.5"}));
    let deleted = ok(
        &db,
        "DeleteItem",
        json!({
            "TableName": "jobs", "Key": {"id": {"S": "job-1"}}, "ReturnValues": "ALL_OLD",
            "ReturnConsumedCapacity": "TOTAL",
        }),
    );
    assert_eq!(deleted["Attributes"], json!({"id": {"S": "job-1"}}));
    assert_eq!(
        deleted["ConsumedCapacity"],
        json!({"TableName": "jobs", "CapacityUnits": 1.0})
    );
    // Deleting what is not there succeeds, as on AWS.
    assert_eq!(
        ok(
            &db,
            "DeleteItem",
            json!({"TableName": "jobs", "Key": {"id": {"S": "job-1"}}})
        ),
        json!({})
    );
}

#[tokio::test]
async fn keys_are_checked_as_aws_checks_them() {
    let db = db();
    jobs_table(&db);
    let put = |item: Value| err(&db, "PutItem", json!({"TableName": "jobs", "Item": item})).message;
    assert_eq!(
        put(json!({"x": {"S": "1"}})),
        "One or more parameter values were invalid: Missing the key id in the item"
    );
    assert_eq!(
        put(json!({"id": {"N": "1"}})),
        "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N"
    );
    assert!(
        put(json!({"id": {"S": ""}})).contains("cannot contain an empty string value. Key: id")
    );
    assert!(put(json!({"id": {"S": "x".repeat(2049)}})).contains("2048"));
    let get = |key: Value| err(&db, "GetItem", json!({"TableName": "jobs", "Key": key})).message;
    assert_eq!(
        get(json!({"id": {"S": "1"}, "x": {"S": "2"}})),
        "The provided key element does not match the schema"
    );
    assert_eq!(
        get(json!({"other": {"S": "1"}})),
        "The provided key element does not match the schema"
    );
    assert_eq!(
        get(json!({"id": {"N": "1"}})),
        "The provided key element does not match the schema"
    );
    // 400 KB, names included.
    let big = json!({"id": {"S": "big"}, "body": {"S": "x".repeat(400 * 1024)}});
    assert_eq!(put(big), "Item size has exceeded the maximum allowed size");
    let fits = json!({"id": {"S": "big"}, "b": {"S": "x".repeat(400 * 1024 - 6)}});
    ok(&db, "PutItem", json!({"TableName": "jobs", "Item": fits}));
}

#[tokio::test]
async fn a_failed_condition_changes_nothing_and_can_return_the_item() {
    let db = db();
    jobs_table(&db);
    let events = db.events();
    let mut seen = events.subscribe();
    let first = json!({
        "TableName": "jobs",
        "Item": {"id": {"S": "job-1"}, "status": {"S": "COMPLETED"}},
        "ConditionExpression": "attribute_not_exists(id)",
    });
    ok(&db, "PutItem", first.clone());
    let e = err(&db, "PutItem", first.clone());
    assert_eq!(e.code, ErrorCode::ConditionalCheckFailedException);
    assert_eq!(e.message, "The conditional request failed");
    assert_eq!(e.item, None);
    let mut asked = first;
    asked["ReturnValuesOnConditionCheckFailure"] = json!("ALL_OLD");
    let e = err(&db, "PutItem", asked);
    let body: Value = serde_json::from_str(&e.body()).unwrap();
    assert_eq!(
        body["__type"],
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    );
    assert_eq!(body["Item"]["status"], json!({"S": "COMPLETED"}));
    let kinds: Vec<EventKind> = std::iter::from_fn(|| seen.try_recv().ok())
        .map(|e: Event| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::ItemWritten {
                table: "jobs".into(),
                operation: "PutItem".into(),
                key: "id=job-1".into()
            },
            EventKind::ConditionalCheckFailed {
                table: "jobs".into(),
                operation: "PutItem".into(),
                key: "id=job-1".into()
            },
            EventKind::ConditionalCheckFailed {
                table: "jobs".into(),
                operation: "PutItem".into(),
                key: "id=job-1".into()
            },
        ]
    );
}

#[tokio::test]
async fn update_item_creates_updates_and_returns_what_was_asked() {
    let db = db();
    jobs_table(&db);
    let update = |expression: &str, values: Value, returns: &str| {
        ok(
            &db,
            "UpdateItem",
            json!({
                "TableName": "jobs",
                "Key": {"id": {"S": "acct"}},
                "UpdateExpression": expression,
                "ExpressionAttributeNames": {"#b": "balance"},
                "ExpressionAttributeValues": values,
                "ReturnValues": returns,
            }),
        )
    };
    let created = update("SET #b = :zero", json!({":zero": {"N": "0"}}), "ALL_NEW");
    assert_eq!(
        created["Attributes"],
        json!({"id": {"S": "acct"}, "balance": {"N": "0"}})
    );
    let added = update(
        "ADD #b :n",
        json!({":n": {"N": "99999999999999999999999999999999999999"}}),
        "UPDATED_NEW",
    );
    assert_eq!(
        added["Attributes"],
        json!({"balance": {"N": "99999999999999999999999999999999999999"}})
    );
    let old = update("SET #b = #b - :n", json!({":n": {"N": "1"}}), "UPDATED_OLD");
    assert_eq!(
        old["Attributes"],
        json!({"balance": {"N": "99999999999999999999999999999999999999"}})
    );
    // A 39th digit is refused and nothing changes.
    let e = err(
        &db,
        "UpdateItem",
        json!({
            "TableName": "jobs", "Key": {"id": {"S": "acct"}},
            "UpdateExpression": "ADD balance :n",
            "ExpressionAttributeValues": {":n": {"N": "10"}},
        }),
    );
    assert!(e.message.contains("Number overflow"), "{}", e.message);
    let item = ok(
        &db,
        "GetItem",
        json!({"TableName": "jobs", "Key": {"id": {"S": "acct"}}}),
    );
    assert_eq!(
        item["Item"]["balance"],
        json!({"N": "99999999999999999999999999999999999998"})
    );
    let e = err(
        &db,
        "UpdateItem",
        json!({
            "TableName": "jobs", "Key": {"id": {"S": "acct"}},
            "UpdateExpression": "SET id = :x",
            "ExpressionAttributeValues": {":x": {"S": "other"}},
        }),
    );
    assert!(
        e.message.contains("This attribute is part of the key"),
        "{}",
        e.message
    );
    let e = err(
        &db,
        "UpdateItem",
        json!({
            "TableName": "jobs", "Key": {"id": {"S": "acct"}}, "ReturnValues": "EVERYTHING",
        }),
    );
    assert_eq!(e.message, "Return values set to invalid value");
}

#[tokio::test]
async fn expression_names_and_values_must_all_be_used() {
    let db = db();
    jobs_table(&db);
    let e = err(
        &db,
        "PutItem",
        json!({
            "TableName": "jobs", "Item": {"id": {"S": "1"}},
            "ConditionExpression": "attribute_not_exists(id)",
            "ExpressionAttributeValues": {":unused": {"S": "x"}},
        }),
    );
    assert_eq!(
        e.message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    );
    let e = err(
        &db,
        "PutItem",
        json!({
            "TableName": "jobs", "Item": {"id": {"S": "1"}},
            "ExpressionAttributeValues": {":v": {"S": "x"}},
        }),
    );
    assert_eq!(
        e.message,
        "ExpressionAttributeValues can only be specified when using expressions"
    );
    let e = err(
        &db,
        "PutItem",
        json!({
            "TableName": "jobs", "Item": {"id": {"S": "1"}}, "Expected": {},
        }),
    );
    assert!(e.message.contains("legacy parameter"), "{}", e.message);
}

#[tokio::test]
async fn query_reads_one_partition_in_sort_key_order_with_pages() {
    let db = db();
    ok(
        &db,
        "CreateTable",
        json!({
            "TableName": "ledger", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "acct", "AttributeType": "S"}, {"AttributeName": "seq", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "acct", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        }),
    );
    for (acct, seq) in [
        ("a", "10"),
        ("a", "9"),
        ("a", "100"),
        ("b", "1"),
        ("a", "-1"),
    ] {
        ok(
            &db,
            "PutItem",
            json!({"TableName": "ledger", "Item": {"acct": {"S": acct}, "seq": {"N": seq}}}),
        );
    }
    let seqs = |answer: &Value| -> Vec<String> {
        answer["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["seq"]["N"].as_str().unwrap().to_owned())
            .collect()
    };
    let query = |extra: Value| {
        let mut request = json!({
            "TableName": "ledger",
            "KeyConditionExpression": "acct = :a",
            "ExpressionAttributeValues": {":a": {"S": "a"}},
        });
        for (k, v) in extra.as_object().unwrap() {
            request[k] = v.clone();
        }
        ok(&db, "Query", request)
    };
    assert_eq!(seqs(&query(json!({}))), ["-1", "9", "10", "100"]);
    assert_eq!(
        seqs(&query(json!({"ScanIndexForward": false}))),
        ["100", "10", "9", "-1"]
    );
    let first = query(json!({"Limit": 2}));
    assert_eq!(seqs(&first), ["-1", "9"]);
    assert_eq!(
        first["LastEvaluatedKey"],
        json!({"acct": {"S": "a"}, "seq": {"N": "9"}})
    );
    let second = query(json!({"Limit": 2, "ExclusiveStartKey": first["LastEvaluatedKey"].clone()}));
    assert_eq!(seqs(&second), ["10", "100"]);
    let count = query(json!({"Select": "COUNT"}));
    assert_eq!(
        (count["Count"].clone(), count.get("Items")),
        (json!(4), None)
    );
    let scan = ok(&db, "Scan", json!({"TableName": "ledger"}));
    assert_eq!(scan["Count"], 5);
    let e = err(&db, "Query", json!({"TableName": "ledger"}));
    assert!(
        e.message.contains("KeyConditionExpression"),
        "{}",
        e.message
    );
}

#[tokio::test(start_paused = true)]
async fn expired_items_are_read_until_ttl_deletes_them() {
    let clock = crate::clock::Clock::starting_at(1_767_225_600_000);
    let events = Events::new();
    let db = DynamoDb::new(DynamoConfig {
        clock,
        events: events.clone(),
        ttl_delete_after: Duration::from_secs(3600),
        ..DynamoConfig::default()
    });
    jobs_table(&db);
    assert_eq!(
        ok(&db, "DescribeTimeToLive", json!({"TableName": "jobs"})),
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}})
    );
    let spec = json!({"TableName": "jobs", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}});
    ok(&db, "UpdateTimeToLive", spec.clone());
    assert_eq!(
        err(&db, "UpdateTimeToLive", spec).message,
        "TimeToLive is already enabled"
    );
    let now = 1_767_225_600;
    ok(
        &db,
        "PutItem",
        json!({"TableName": "jobs", "Item": {"id": {"S": "a"}, "expires": {"N": (now + 60).to_string()}}}),
    );
    ok(
        &db,
        "PutItem",
        json!({"TableName": "jobs", "Item": {"id": {"S": "forever"}}}),
    );
    let mut seen = events.subscribe();
    let get = |id: &str| {
        ok(
            &db,
            "GetItem",
            json!({"TableName": "jobs", "Key": {"id": {"S": id}}}),
        )
        .get("Item")
        .is_some()
    };
    tokio::time::advance(Duration::from_secs(120)).await;
    // Expired a minute ago, still there: readers filter on the attribute.
    assert!(get("a"));
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert!(!get("a"));
    assert!(get("forever"));
    assert_eq!(
        seen.try_recv().unwrap().kind,
        EventKind::ItemExpired {
            table: "jobs".into(),
            key: "id=a".into()
        }
    );
}

#[tokio::test]
async fn updated_old_and_new_return_only_the_updated_paths() {
    let db = db();
    jobs_table(&db);
    ok(
        &db,
        "PutItem",
        json!({"TableName": "jobs", "Item": {
            "id": {"S": "n"},
            "a": {"M": {"b": {"S": "dog"}, "c": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}}},
            "d": {"S": "cat"},
        }}),
    );
    let update = |expression: &str, values: Value, returns: &str| {
        let mut request = json!({
            "TableName": "jobs", "Key": {"id": {"S": "n"}},
            "UpdateExpression": expression, "ReturnValues": returns,
        });
        if !values.as_object().unwrap().is_empty() {
            request["ExpressionAttributeValues"] = values;
        }
        ok(&db, "UpdateItem", request).get("Attributes").cloned()
    };
    // A nested path returns inside its attribute, not all of it
    // (Alternator test_update_item_returnvalues_nested).
    assert_eq!(
        update("SET a.b = :v", json!({":v": {"S": "hi"}}), "UPDATED_OLD"),
        Some(json!({"a": {"M": {"b": {"S": "dog"}}}}))
    );
    assert_eq!(
        update("SET a.c[1] = :v", json!({":v": {"N": "7"}}), "UPDATED_NEW"),
        Some(json!({"a": {"M": {"c": {"L": [{"N": "7"}]}}}}))
    );
    // What did not exist before is not in UPDATED_OLD.
    assert_eq!(
        update("SET a.x = :v", json!({":v": {"N": "8"}}), "UPDATED_OLD"),
        None
    );
    // A removed attribute is not in UPDATED_NEW.
    assert_eq!(update("REMOVE d", json!({}), "UPDATED_NEW"), None);
}

#[tokio::test]
async fn an_update_that_only_removes_does_not_create_the_item() {
    let db = db();
    jobs_table(&db);
    let events = db.events();
    let mut seen = events.subscribe();
    let get = |id: &str| {
        ok(
            &db,
            "GetItem",
            json!({"TableName": "jobs", "Key": {"id": {"S": id}}}),
        )
        .get("Item")
        .cloned()
    };
    // Alternator test_update_item_non_existent: REMOVE on a missing item
    // creates nothing, and ALL_NEW has nothing to return.
    let removed = ok(
        &db,
        "UpdateItem",
        json!({"TableName": "jobs", "Key": {"id": {"S": "ghost"}},
               "UpdateExpression": "REMOVE a", "ReturnValues": "ALL_NEW"}),
    );
    assert_eq!(removed, json!({}));
    ok(
        &db,
        "UpdateItem",
        json!({"TableName": "jobs", "Key": {"id": {"S": "ghost"}},
               "UpdateExpression": "DELETE tags :t",
               "ExpressionAttributeValues": {":t": {"SS": ["x"]}}}),
    );
    assert_eq!(get("ghost"), None);
    assert!(seen.try_recv().is_err(), "no ItemWritten event");
    // Without an update expression the item is created, key only.
    ok(
        &db,
        "UpdateItem",
        json!({"TableName": "jobs", "Key": {"id": {"S": "bare"}}}),
    );
    assert_eq!(get("bare"), Some(json!({"id": {"S": "bare"}})));
    // On an existing item, REMOVE writes.
    ok(
        &db,
        "UpdateItem",
        json!({"TableName": "jobs", "Key": {"id": {"S": "bare"}},
               "UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}),
    );
    ok(
        &db,
        "UpdateItem",
        json!({"TableName": "jobs", "Key": {"id": {"S": "bare"}}, "UpdateExpression": "REMOVE a"}),
    );
    assert_eq!(get("bare"), Some(json!({"id": {"S": "bare"}})));
}

#[tokio::test(start_paused = true)]
async fn time_to_live_changes_once_an_hour() {
    let db = DynamoDb::new(DynamoConfig {
        clock: crate::clock::Clock::starting_at(1_767_225_600_000),
        ..DynamoConfig::default()
    });
    jobs_table(&db);
    let spec = |enabled: bool| json!({"TableName": "jobs", "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": "expires"}});
    ok(&db, "UpdateTimeToLive", spec(true));
    // "Already enabled" is said first; a real change waits the hour (DDB-API
    // UpdateTimeToLive).
    assert_eq!(
        err(&db, "UpdateTimeToLive", spec(true)).message,
        "TimeToLive is already enabled"
    );
    tokio::time::advance(Duration::from_secs(3599)).await;
    let e = err(&db, "UpdateTimeToLive", spec(false));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorCode::ValidationException,
            "Time to live has been modified multiple times within a fixed interval"
        )
    );
    assert_eq!(
        ok(&db, "DescribeTimeToLive", json!({"TableName": "jobs"}))["TimeToLiveDescription"]["TimeToLiveStatus"],
        "ENABLED"
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    ok(&db, "UpdateTimeToLive", spec(false));
    assert_eq!(
        ok(&db, "DescribeTimeToLive", json!({"TableName": "jobs"})),
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}})
    );
}
