//! localcloud's DynamoDB driven by the real `aws-sdk-dynamodb` client, in
//! memory (the SQS endpoint's in-memory HTTP client, as `sqs_sdk` uses) and
//! under tokio's paused clock: tables, the item operations with conditions
//! and `ReturnValues`, the errors as the SDK's typed errors, Query pages
//! through the SDK's paginator, TTL, numbers, every attribute type and the
//! 400 KB limit.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
    TimeToLiveStatus,
};
use localcloud::clock::Clock;
use localcloud::sqs::{Sqs, SqsConfig};

/// 2026-01-01T00:00:00Z, in milliseconds.
const EPOCH: i64 = 1_767_225_600_000;
const EPOCH_SECONDS: i64 = EPOCH / 1000;

fn setup() -> (Sqs, Client) {
    let sqs = Sqs::new(SqsConfig {
        clock: Clock::starting_at(EPOCH),
        ..Default::default()
    });
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDLOCAL", "secret", None, None, "test"))
        .endpoint_url("http://127.0.0.1:9324")
        .http_client(sqs.sdk_http_client())
        .build();
    (sqs, Client::from_conf(config))
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.to_owned())
}

/// A table keyed by `pk` (S) and, with `sort`, `sk` (N), on demand.
async fn table(client: &Client, name: &str, sort: bool) {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        );
    if sort {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("sk")
                    .attribute_type(ScalarAttributeType::N)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("sk")
                    .key_type(KeyType::Range)
                    .build()
                    .unwrap(),
            );
    }
    let created = request.send().await.unwrap();
    let description = created.table_description.unwrap();
    assert_eq!(description.table_status, Some(TableStatus::Active));
    assert_eq!(
        description.table_arn.as_deref(),
        Some(format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}").as_str())
    );
}

async fn get(client: &Client, table: &str, id: &str) -> Option<HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(table)
        .key("pk", s(id))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

#[tokio::test(start_paused = true)]
async fn tables_are_created_described_listed_and_deleted() {
    let (_, client) = setup();
    table(&client, "jobs", false).await;
    table(&client, "ledger", true).await;
    let described = client
        .describe_table()
        .table_name("ledger")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(described.table_name.as_deref(), Some("ledger"));
    let keys: Vec<(String, KeyType)> = described
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name.clone(), k.key_type.clone()))
        .collect();
    assert_eq!(
        keys,
        [("pk".into(), KeyType::Hash), ("sk".into(), KeyType::Range)]
    );
    assert_eq!(
        described.billing_mode_summary.and_then(|b| b.billing_mode),
        Some(BillingMode::PayPerRequest)
    );
    let listed = client.list_tables().send().await.unwrap();
    assert_eq!(listed.table_names(), ["jobs", "ledger"]);
    let page = client.list_tables().limit(1).send().await.unwrap();
    assert_eq!(page.table_names(), ["jobs"]);
    assert_eq!(page.last_evaluated_table_name.as_deref(), Some("jobs"));

    let again = client
        .create_table()
        .table_name("jobs")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("ResourceInUseException"));
    assert_eq!(again.message(), Some("Table already exists: jobs"));

    let deleted = client
        .delete_table()
        .table_name("jobs")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.table_description.unwrap().table_status,
        Some(TableStatus::Deleting)
    );
    let gone = client
        .describe_table()
        .table_name("jobs")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(gone, DescribeTableError::ResourceNotFoundException(_)),
        "{gone:?}"
    );
    assert_eq!(
        gone.message(),
        Some("Requested resource not found: Table: jobs not found")
    );
    let missing = client
        .get_item()
        .table_name("jobs")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(missing, GetItemError::ResourceNotFoundException(_)),
        "{missing:?}"
    );
    assert_eq!(missing.message(), Some("Requested resource not found"));
}

#[tokio::test(start_paused = true)]
async fn put_get_update_delete_with_conditions_and_return_values() {
    let (_, client) = setup();
    table(&client, "jobs", false).await;
    // The idempotent worker's claim: a conditional PutItem.
    let claim = || {
        client
            .put_item()
            .table_name("jobs")
            .item("pk", s("job-1"))
            .item("status", s("IN_PROGRESS"))
            .condition_expression("attribute_not_exists(pk)")
    };
    let first = claim().send().await.unwrap();
    assert_eq!(first.attributes, None);
    let second = claim().send().await.unwrap_err().into_service_error();
    assert!(second.is_conditional_check_failed_exception(), "{second:?}");
    assert_eq!(second.message(), Some("The conditional request failed"));
    match second {
        PutItemError::ConditionalCheckFailedException(e) => assert_eq!(e.item, None),
        other => panic!("{other:?}"),
    }

    // PutItem over it, returning what was there.
    let replaced = client
        .put_item()
        .table_name("jobs")
        .item("pk", s("job-1"))
        .item("status", s("COMPLETED"))
        .item("attempts", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replaced.attributes.unwrap(),
        HashMap::from([
            ("pk".into(), s("job-1")),
            ("status".into(), s("IN_PROGRESS"))
        ])
    );

    // UpdateItem: SET, ADD, REMOVE, with a condition, each ReturnValues.
    let update = |expression: &str| {
        client
            .update_item()
            .table_name("jobs")
            .key("pk", s("job-1"))
            .update_expression(expression)
    };
    let new = update("SET #s = :s ADD attempts :one")
        .condition_expression("#s = :done")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("RETRYING"))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":done", s("COMPLETED"))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        new.attributes.unwrap(),
        HashMap::from([
            ("status".into(), s("RETRYING")),
            ("attempts".into(), n("2"))
        ])
    );
    let old = update("REMOVE attempts")
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.attributes.unwrap(),
        HashMap::from([("attempts".into(), n("2"))])
    );
    let all_new = update("SET tries = if_not_exists(tries, :zero) + :one")
        .expression_attribute_values(":zero", n("0"))
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        all_new.attributes.unwrap(),
        HashMap::from([
            ("pk".into(), s("job-1")),
            ("status".into(), s("RETRYING")),
            ("tries".into(), n("1")),
        ])
    );
    let all_old = update("SET tries = tries + :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(all_old.attributes.unwrap()["tries"], n("1"));
    // UpdateItem on a missing key creates the item.
    client
        .update_item()
        .table_name("jobs")
        .key("pk", s("job-2"))
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("NEW"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&client, "jobs", "job-2").await.unwrap(),
        HashMap::from([("pk".into(), s("job-2")), ("status".into(), s("NEW"))])
    );

    // A failed UpdateItem condition changes nothing; the SDK's typed error.
    let refused = update("SET #s = :s")
        .condition_expression("#s = :done")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("LOST"))
        .expression_attribute_values(":done", s("COMPLETED"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(refused, UpdateItemError::ConditionalCheckFailedException(_)),
        "{refused:?}"
    );
    assert_eq!(
        get(&client, "jobs", "job-1").await.unwrap()["status"],
        s("RETRYING")
    );

    // DeleteItem with a condition, then ALL_OLD.
    let kept = client
        .delete_item()
        .table_name("jobs")
        .key("pk", s("job-1"))
        .condition_expression("attribute_not_exists(#s)")
        .expression_attribute_names("#s", "status")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(kept, DeleteItemError::ConditionalCheckFailedException(_)),
        "{kept:?}"
    );
    let deleted = client
        .delete_item()
        .table_name("jobs")
        .key("pk", s("job-1"))
        .condition_expression("attribute_exists(#s)")
        .expression_attribute_names("#s", "status")
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.attributes.unwrap()["tries"], n("2"));
    assert_eq!(get(&client, "jobs", "job-1").await, None);
    // Deleting what is not there succeeds, without Attributes.
    let nothing = client
        .delete_item()
        .table_name("jobs")
        .key("pk", s("job-1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(nothing.attributes, None);
}

#[tokio::test(start_paused = true)]
async fn a_failed_condition_returns_the_item_when_asked_as_the_sdks_typed_error() {
    let (_, client) = setup();
    table(&client, "jobs", false).await;
    client
        .put_item()
        .table_name("jobs")
        .item("pk", s("job-1"))
        .item("status", s("COMPLETED"))
        .item("n", n("7"))
        .send()
        .await
        .unwrap();
    let put = client
        .put_item()
        .table_name("jobs")
        .item("pk", s("job-1"))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let PutItemError::ConditionalCheckFailedException(failed) = put else {
        panic!("not the typed error: {put:?}");
    };
    assert_eq!(failed.message(), Some("The conditional request failed"));
    assert_eq!(
        failed.item().unwrap(),
        &HashMap::from([
            ("pk".into(), s("job-1")),
            ("status".into(), s("COMPLETED")),
            ("n".into(), n("7")),
        ])
    );
    let update = client
        .update_item()
        .table_name("jobs")
        .key("pk", s("job-1"))
        .update_expression("SET n = n + :one")
        .condition_expression("n < :limit")
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":limit", n("5"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let UpdateItemError::ConditionalCheckFailedException(failed) = update else {
        panic!("not the typed error: {update:?}");
    };
    assert_eq!(failed.item().unwrap()["n"], n("7"));
    let delete = client
        .delete_item()
        .table_name("jobs")
        .key("pk", s("job-1"))
        .condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("IN_PROGRESS"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let DeleteItemError::ConditionalCheckFailedException(failed) = delete else {
        panic!("not the typed error: {delete:?}");
    };
    assert_eq!(failed.item().unwrap()["status"], s("COMPLETED"));
    // No item, no Item, even when asked.
    let absent = client
        .delete_item()
        .table_name("jobs")
        .key("pk", s("nobody"))
        .condition_expression("attribute_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let DeleteItemError::ConditionalCheckFailedException(failed) = absent else {
        panic!("not the typed error: {absent:?}");
    };
    assert_eq!(failed.item, None);
}

#[tokio::test(start_paused = true)]
async fn validation_errors_reach_the_sdk_with_aws_messages() {
    let (_, client) = setup();
    table(&client, "jobs", false).await;
    let put = |item: HashMap<String, AttributeValue>| {
        client
            .put_item()
            .table_name("jobs")
            .set_item(Some(item))
            .send()
    };
    let cases = [
        (
            HashMap::from([("other".into(), s("x"))]),
            "One or more parameter values were invalid: Missing the key pk in the item",
        ),
        (
            HashMap::from([("pk".into(), n("1"))]),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
        ),
        (
            HashMap::from([("pk".into(), s("a")), ("n".into(), n("not a number"))]),
            "A value provided cannot be converted into a number",
        ),
        (
            HashMap::from([
                ("pk".into(), s("a")),
                ("tags".into(), AttributeValue::Ss(vec![])),
            ]),
            "One or more parameter values were invalid: An string set  may not be empty",
        ),
    ];
    for (item, message) in cases {
        let e = put(item.clone()).await.unwrap_err().into_service_error();
        assert_eq!(e.code(), Some("ValidationException"), "{item:?}");
        assert_eq!(e.message(), Some(message), "{item:?}");
    }
    let syntax = client
        .update_item()
        .table_name("jobs")
        .key("pk", s("a"))
        .update_expression("SET = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(syntax.code(), Some("ValidationException"));
    assert!(
        syntax
            .message()
            .unwrap()
            .starts_with("Invalid UpdateExpression: Syntax error;"),
        "{:?}",
        syntax.message()
    );
    let unused = client
        .put_item()
        .table_name("jobs")
        .item("pk", s("a"))
        .condition_expression("attribute_not_exists(pk)")
        .expression_attribute_values(":unused", s("x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        unused.message(),
        Some("Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")
    );
    let reserved = client
        .update_item()
        .table_name("jobs")
        .key("pk", s("a"))
        .update_expression("SET status = :s")
        .expression_attribute_values(":s", s("x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        reserved.message(),
        Some(
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"
        )
    );
    let key = client
        .get_item()
        .table_name("jobs")
        .key("pk", s("a"))
        .key("extra", s("b"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        key.message(),
        Some("The provided key element does not match the schema")
    );
    let returns = client
        .put_item()
        .table_name("jobs")
        .item("pk", s("a"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        returns.message(),
        Some("Return values set to invalid value")
    );
}

#[tokio::test(start_paused = true)]
async fn query_pages_through_the_sdks_paginator_in_sort_key_order() {
    let (_, client) = setup();
    table(&client, "ledger", true).await;
    for sk in 1..=25 {
        client
            .put_item()
            .table_name("ledger")
            .item("pk", s("acct"))
            .item("sk", n(&sk.to_string()))
            .item("even", AttributeValue::Bool(sk % 2 == 0))
            .send()
            .await
            .unwrap();
    }
    client
        .put_item()
        .table_name("ledger")
        .item("pk", s("other"))
        .item("sk", n("1"))
        .send()
        .await
        .unwrap();
    let query = || {
        client
            .query()
            .table_name("ledger")
            .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", s("acct"))
            .expression_attribute_values(":lo", n("3"))
            .expression_attribute_values(":hi", n("22"))
    };
    let pages: Vec<_> = query()
        .limit(7)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.items().len()).collect();
    // 20 items, 7 a page: the third page reads fewer than Limit, so it is
    // the last (no LastEvaluatedKey).
    assert_eq!(sizes, [7, 7, 6]);
    assert_eq!(
        pages[0].last_evaluated_key.as_ref().unwrap(),
        &HashMap::from([("pk".into(), s("acct")), ("sk".into(), n("9"))])
    );
    let seen: Vec<String> = pages
        .iter()
        .flat_map(|p| p.items())
        .map(|i| match &i["sk"] {
            AttributeValue::N(n) => n.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let expected: Vec<String> = (3..=22).map(|i| i.to_string()).collect();
    assert_eq!(seen, expected);

    // Backwards, with a filter: Limit counts the items read, not those kept.
    let back = query()
        .scan_index_forward(false)
        .filter_expression("even = :t")
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .limit(5)
        .send()
        .await
        .unwrap();
    assert_eq!((back.count, back.scanned_count), (3, 5));
    let sks: Vec<&AttributeValue> = back.items().iter().map(|i| &i["sk"]).collect();
    assert_eq!(sks, [&n("22"), &n("20"), &n("18")]);
    let counted = query()
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!((counted.count, counted.items), (20, None));
    let projected = client
        .query()
        .table_name("ledger")
        .key_condition_expression("pk = :pk AND sk = :one")
        .expression_attribute_values(":pk", s("other"))
        .expression_attribute_values(":one", n("1"))
        .projection_expression("sk")
        .send()
        .await
        .unwrap();
    assert_eq!(projected.items(), [HashMap::from([("sk".into(), n("1"))])]);
    // Scan sees both partitions, also through the paginator.
    let scanned: usize = client
        .scan()
        .table_name("ledger")
        .limit(10)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .len();
    assert_eq!(scanned, 26);
    let bad = client
        .query()
        .table_name("ledger")
        .key_condition_expression("sk = :one")
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(bad.code(), Some("ValidationException"));
}

#[tokio::test(start_paused = true)]
async fn ttl_is_enabled_at_once_and_deletes_two_days_after_expiry() {
    let (sqs, client) = setup();
    table(&client, "jobs", false).await;
    let status = || async {
        client
            .describe_time_to_live()
            .table_name("jobs")
            .send()
            .await
            .unwrap()
            .time_to_live_description
            .unwrap()
    };
    assert_eq!(
        status().await.time_to_live_status,
        Some(TimeToLiveStatus::Disabled)
    );
    let spec = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name("expires")
        .build()
        .unwrap();
    let updated = client
        .update_time_to_live()
        .table_name("jobs")
        .time_to_live_specification(spec.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(updated.time_to_live_specification, Some(spec.clone()));
    let described = status().await;
    assert_eq!(
        (
            described.time_to_live_status,
            described.attribute_name.as_deref()
        ),
        (Some(TimeToLiveStatus::Enabled), Some("expires"))
    );
    let twice = client
        .update_time_to_live()
        .table_name("jobs")
        .time_to_live_specification(spec)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(twice.code(), Some("ValidationException"));
    assert_eq!(twice.message(), Some("TimeToLive is already enabled"));
    // One change an hour (DDB-API UpdateTimeToLive).
    let soon = client
        .update_time_to_live()
        .table_name("jobs")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(false)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        soon.message(),
        Some("Time to live has been modified multiple times within a fixed interval")
    );

    let put = |id: &str, expires: i64| {
        client
            .put_item()
            .table_name("jobs")
            .item("pk", s(id))
            .item("expires", n(&expires.to_string()))
            .send()
    };
    put("soon", EPOCH_SECONDS + 60).await.unwrap();
    put("later", EPOCH_SECONDS + 3 * 24 * 3600).await.unwrap();
    // Ten years ago: more than five years in the past, never deleted.
    put("ancient", EPOCH_SECONDS - 10 * 365 * 24 * 3600)
        .await
        .unwrap();
    client
        .put_item()
        .table_name("jobs")
        .item("pk", s("text"))
        .item("expires", s("not a number"))
        .send()
        .await
        .unwrap();

    // Expired, but readable until TTL's process deletes it: readers filter.
    tokio::time::advance(Duration::from_secs(120)).await;
    assert!(get(&client, "jobs", "soon").await.is_some());
    let live = client
        .scan()
        .table_name("jobs")
        .filter_expression("expires > :now")
        .expression_attribute_values(":now", n(&(EPOCH_SECONDS + 120).to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(live.count, 1);
    tokio::time::advance(Duration::from_secs(2 * 24 * 3600 - 120 + 59)).await;
    assert!(
        get(&client, "jobs", "soon").await.is_some(),
        "a second early"
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(get(&client, "jobs", "soon").await, None);
    for kept in ["later", "ancient", "text"] {
        assert!(get(&client, "jobs", kept).await.is_some(), "{kept}");
    }
    assert_eq!(
        sqs.dynamodb().table("jobs").unwrap().items.len(),
        3,
        "the expired item is gone from the table itself"
    );
}

#[tokio::test(start_paused = true)]
async fn every_attribute_type_and_38_digit_numbers_round_trip() {
    let (_, client) = setup();
    table(&client, "jobs", false).await;
    let numbers = [
        ("n38", "12345678901234567890123456789012345678"),
        ("neg38", "-0.12345678901234567890123456789012345678"),
    ];
    let mut item = HashMap::from([
        ("pk".to_owned(), s("all")),
        ("s".into(), s("텍스트 ✓")),
        ("n".into(), n("-12.5")),
        ("b".into(), AttributeValue::B(Blob::new(vec![0, 1, 2, 255]))),
        ("bool".into(), AttributeValue::Bool(false)),
        ("null".into(), AttributeValue::Null(true)),
        (
            "m".into(),
            AttributeValue::M(HashMap::from([
                ("inner".into(), s("x")),
                ("list".into(), AttributeValue::L(vec![n("1"), s("two")])),
            ])),
        ),
        (
            "l".into(),
            AttributeValue::L(vec![
                AttributeValue::Null(true),
                AttributeValue::M(HashMap::new()),
            ]),
        ),
        (
            "ss".into(),
            AttributeValue::Ss(vec!["a".into(), "b".into()]),
        ),
        (
            "ns".into(),
            AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
        ),
        (
            "bs".into(),
            AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, 3])]),
        ),
        ("empty_s".into(), s("")),
    ]);
    for (name, value) in numbers {
        item.insert(name.into(), n(value));
    }
    client
        .put_item()
        .table_name("jobs")
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let mut got = get(&client, "jobs", "all").await.unwrap();
    // Sets have no order (DynamoDB's own answers may reorder them).
    for set in ["ss", "ns"] {
        let (AttributeValue::Ss(v) | AttributeValue::Ns(v)) = got.get_mut(set).unwrap() else {
            panic!("{set}");
        };
        v.sort();
    }
    if let Some(AttributeValue::Bs(v)) = got.get_mut("bs") {
        v.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
    }
    assert_eq!(got, item);

    // The ends of the range: 38 nines times 10^88 and 10^-130, kept
    // exactly; localcloud writes numbers without an exponent.
    client
        .put_item()
        .table_name("jobs")
        .item("pk", s("range"))
        .item("big", n("9.9999999999999999999999999999999999999E+125"))
        .item("small", n("1E-130"))
        .item("negative", n("-1E+125"))
        .send()
        .await
        .unwrap();
    let range = get(&client, "jobs", "range").await.unwrap();
    assert_eq!(
        range["big"],
        n(&format!("{}{}", "9".repeat(38), "0".repeat(88)))
    );
    assert_eq!(range["small"], n(&format!("0.{}1", "0".repeat(129))));
    assert_eq!(range["negative"], n(&format!("-1{}", "0".repeat(125))));

    // 38 digits are kept through arithmetic; a 39th is refused.
    let added = client
        .update_item()
        .table_name("jobs")
        .key("pk", s("all"))
        .update_expression("ADD n38 :d")
        .expression_attribute_values(":d", n("0.0000000000000000000000000000000000000001"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(added.code(), Some("ValidationException"));
    let incremented = client
        .update_item()
        .table_name("jobs")
        .key("pk", s("all"))
        .update_expression("SET n38 = n38 + :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        incremented.attributes.unwrap()["n38"],
        n("12345678901234567890123456789012345679")
    );
    for (text, message) in [
        (
            "123456789012345678901234567890123456789",
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            "1E+126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1E-131",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
    ] {
        let e = client
            .put_item()
            .table_name("jobs")
            .item("pk", s("x"))
            .item("n", n(text))
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(e.message(), Some(message), "{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn items_up_to_400_kb_are_stored_and_larger_ones_refused() {
    let (_, client) = setup();
    table(&client, "jobs", false).await;
    // The size counts names and values: "pk" + "big" + "body" + 400 KB - 9.
    let fits = "x".repeat(400 * 1024 - ("pk".len() + "big".len() + "body".len()));
    client
        .put_item()
        .table_name("jobs")
        .item("pk", s("big"))
        .item("body", s(&fits))
        .send()
        .await
        .unwrap();
    match &get(&client, "jobs", "big").await.unwrap()["body"] {
        AttributeValue::S(body) => assert_eq!(body.len(), fits.len()),
        other => panic!("{other:?}"),
    }
    let too_big = client
        .put_item()
        .table_name("jobs")
        .item("pk", s("big"))
        .item("body", s(&format!("{fits}x")))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(too_big.code(), Some("ValidationException"));
    assert_eq!(
        too_big.message(),
        Some("Item size has exceeded the maximum allowed size")
    );
    // An update that would grow the item past 400 KB changes nothing.
    let grown = client
        .update_item()
        .table_name("jobs")
        .key("pk", s("big"))
        .update_expression("SET extra = :x")
        .expression_attribute_values(":x", s("x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        grown.message(),
        Some("Item size has exceeded the maximum allowed size")
    );
    assert!(
        !get(&client, "jobs", "big")
            .await
            .unwrap()
            .contains_key("extra")
    );
}
