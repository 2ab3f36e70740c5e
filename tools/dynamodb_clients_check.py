"""localcloud's DynamoDB, checked with clients nobody on the project wrote.

Runs every DynamoDB operation localcloud serves through boto3 (the client
and the resource API, `Table`), and the common ones through the AWS CLI,
against the endpoint given as the first argument (a running `cargo xtask
localcloud up`: DynamoDB is served on the SQS endpoint), and checks the
answers, including the error codes and messages. Prints one line per check
and a closing 'N passed, N failed' line. Exit status 0 only if every check
passed.
"""

import json
import os
import subprocess
import sys
import time
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
AWS = sys.argv[2] if len(sys.argv) > 2 else "aws"
REGION = "us-east-1"
os.environ.update(
    AWS_ACCESS_KEY_ID="AKIDLOCALCLOUD",
    AWS_SECRET_ACCESS_KEY="secret",
    AWS_DEFAULT_REGION=REGION,
    AWS_PAGER="",
)
# Unique per run: a second run against the same `localcloud up` starts clean.
SUFFIX = str(int(time.time() * 1000))
ddb = boto3.client("dynamodb", endpoint_url=ENDPOINT, region_name=REGION)
resource = boto3.resource("dynamodb", endpoint_url=ENDPOINT, region_name=REGION)
passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name} {detail}")


def error_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response
    return None


def expect_error(name, code, call, *args, message=None, **kwargs):
    response = error_of(call, *args, **kwargs)
    got = response["Error"]["Code"] if response else None
    text = response["Error"].get("Message") if response else None
    ok = got == code and (message is None or text == message)
    check(f"{name} -> {code}", ok, f"(got {got}: {text})")
    return response


# --- boto3 client: tables
jobs = f"py-jobs-{SUFFIX}"
created = ddb.create_table(
    TableName=jobs,
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    BillingMode="PAY_PER_REQUEST",
)["TableDescription"]
check("CreateTable: ACTIVE at once, with its ARN", created["TableStatus"] == "ACTIVE" and created["TableArn"].endswith(f":table/{jobs}"), created)
ddb.get_waiter("table_exists").wait(TableName=jobs, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
check("the table_exists waiter", True)
described = ddb.describe_table(TableName=jobs)["Table"]
check("DescribeTable", described["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}] and described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", described)
check("ListTables", jobs in ddb.list_tables()["TableNames"])
expect_error("CreateTable again", "ResourceInUseException", ddb.create_table, TableName=jobs,
             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
             message=f"Table already exists: {jobs}")
expect_error("DescribeTable, missing", "ResourceNotFoundException", ddb.describe_table, TableName="py-nope",
             message="Requested resource not found: Table: py-nope not found")
expect_error("GetItem, missing table", "ResourceNotFoundException", ddb.get_item, TableName="py-nope", Key={"id": {"S": "a"}})
expect_error("CreateTable with a GSI (not emulated)", "ValidationException", ddb.create_table, TableName="py-gsi",
             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
             GlobalSecondaryIndexes=[{"IndexName": "by-id", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
expect_error("BatchWriteItem (not emulated)", "UnknownOperationException", ddb.batch_write_item,
             RequestItems={jobs: [{"PutRequest": {"Item": {"id": {"S": "x"}}}}]})

# --- boto3 client: items, conditions, ReturnValues
claim = dict(TableName=jobs, Item={"id": {"S": "job-1"}, "status": {"S": "IN_PROGRESS"}}, ConditionExpression="attribute_not_exists(id)")
check("PutItem with a condition", ddb.put_item(**claim)["ResponseMetadata"]["HTTPStatusCode"] == 200)
expect_error("PutItem, condition fails", "ConditionalCheckFailedException", ddb.put_item, **claim, message="The conditional request failed")
failure = expect_error("PutItem, condition fails, ALL_OLD", "ConditionalCheckFailedException", ddb.put_item, **claim,
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
check("ConditionalCheckFailedException carries the item", failure is not None and failure.get("Item") == claim["Item"], failure)
try:
    ddb.put_item(**claim)
    check("the modeled exception class", False)
except ddb.exceptions.ConditionalCheckFailedException:
    check("the modeled exception class", True)
got = ddb.get_item(TableName=jobs, Key={"id": {"S": "job-1"}}, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
check("GetItem", got["Item"] == claim["Item"] and got["ConsumedCapacity"]["CapacityUnits"] == 1.0, got)
check("GetItem, no such key", "Item" not in ddb.get_item(TableName=jobs, Key={"id": {"S": "nope"}}))
updated = ddb.update_item(
    TableName=jobs, Key={"id": {"S": "job-1"}},
    UpdateExpression="SET #s = :done, attempts = if_not_exists(attempts, :zero) + :one",
    ConditionExpression="#s = :running",
    ExpressionAttributeNames={"#s": "status"},
    ExpressionAttributeValues={":done": {"S": "COMPLETED"}, ":running": {"S": "IN_PROGRESS"}, ":zero": {"N": "0"}, ":one": {"N": "1"}},
    ReturnValues="ALL_NEW",
)
check("UpdateItem ALL_NEW", updated["Attributes"] == {"id": {"S": "job-1"}, "status": {"S": "COMPLETED"}, "attempts": {"N": "1"}}, updated)
old = ddb.update_item(TableName=jobs, Key={"id": {"S": "job-1"}}, UpdateExpression="REMOVE attempts", ReturnValues="UPDATED_OLD")
check("UpdateItem UPDATED_OLD", old["Attributes"] == {"attempts": {"N": "1"}}, old)
expect_error("UpdateItem, reserved word", "ValidationException", ddb.update_item, TableName=jobs, Key={"id": {"S": "job-1"}},
             UpdateExpression="SET status = :s", ExpressionAttributeValues={":s": {"S": "x"}},
             message="Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status")
expect_error("UpdateItem, the key", "ValidationException", ddb.update_item, TableName=jobs, Key={"id": {"S": "job-1"}},
             UpdateExpression="SET id = :s", ExpressionAttributeValues={":s": {"S": "x"}})
expect_error("PutItem, wrong key type", "ValidationException", ddb.put_item, TableName=jobs, Item={"id": {"N": "1"}},
             message="One or more parameter values were invalid: Type mismatch for key id expected: S actual: N")
expect_error("PutItem, 39 digits", "ValidationException", ddb.put_item, TableName=jobs, Item={"id": {"S": "n"}, "n": {"N": "1" * 39}},
             message="Attempting to store more than 38 significant digits in a Number")
expect_error("PutItem, over 400 KB", "ValidationException", ddb.put_item, TableName=jobs, Item={"id": {"S": "big"}, "b": {"S": "x" * (400 * 1024)}},
             message="Item size has exceeded the maximum allowed size")
deleted = ddb.delete_item(TableName=jobs, Key={"id": {"S": "job-1"}}, ConditionExpression="attribute_exists(id)", ReturnValues="ALL_OLD")
check("DeleteItem ALL_OLD", deleted["Attributes"]["status"] == {"S": "COMPLETED"}, deleted)
expect_error("DeleteItem, condition fails", "ConditionalCheckFailedException", ddb.delete_item, TableName=jobs, Key={"id": {"S": "job-1"}},
             ConditionExpression="attribute_exists(id)")

# --- boto3 client: TTL
ttl = ddb.update_time_to_live(TableName=jobs, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
check("UpdateTimeToLive", ttl["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}, ttl)
status = ddb.describe_time_to_live(TableName=jobs)["TimeToLiveDescription"]
check("DescribeTimeToLive: ENABLED at once", status == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, status)
expect_error("UpdateTimeToLive twice", "ValidationException", ddb.update_time_to_live, TableName=jobs,
             TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}, message="TimeToLive is already enabled")
ddb.put_item(TableName=jobs, Item={"id": {"S": "expired"}, "expires": {"N": str(int(time.time()) - 60)}})
check("an expired item is read until TTL deletes it", "Item" in ddb.get_item(TableName=jobs, Key={"id": {"S": "expired"}}))

# --- boto3 resource API (Table): Python types, Key/Attr conditions, paginated Query
ledger = resource.create_table(
    TableName=f"py-ledger-{SUFFIX}",
    AttributeDefinitions=[{"AttributeName": "acct", "AttributeType": "S"}, {"AttributeName": "seq", "AttributeType": "N"}],
    KeySchema=[{"AttributeName": "acct", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
    BillingMode="PAY_PER_REQUEST",
)
ledger.wait_until_exists()
check("Table.table_status", ledger.table_status == "ACTIVE")
for seq in range(1, 13):
    ledger.put_item(Item={"acct": "a", "seq": seq, "amount": Decimal("12.5") * seq, "tags": {"x", f"t{seq}"}, "meta": {"ok": True, "none": None, "l": [1, "two"]}})
ledger.put_item(Item={"acct": "b", "seq": 1, "blob": b"\x00\xff"})
item = ledger.get_item(Key={"acct": "a", "seq": 2})["Item"]
check("Table.get_item: Python types", item["amount"] == Decimal("25") and item["tags"] == {"x", "t2"} and item["meta"] == {"ok": True, "none": None, "l": [Decimal(1), "two"]}, item)
check("Table.get_item: binary", ledger.get_item(Key={"acct": "b", "seq": 1})["Item"]["blob"].value == b"\x00\xff")
big = Decimal("12345678901234567890123456789012345678")
ledger.put_item(Item={"acct": "c", "seq": 1, "n": big})
check("a 38-digit number round trip", ledger.get_item(Key={"acct": "c", "seq": 1})["Item"]["n"] == big)
seqs, pages, start = [], 0, None
while True:
    kwargs = {"ExclusiveStartKey": start} if start else {}
    page = ledger.query(KeyConditionExpression=Key("acct").eq("a") & Key("seq").between(3, 11), Limit=4, **kwargs)
    seqs += [int(i["seq"]) for i in page["Items"]]
    pages += 1
    start = page.get("LastEvaluatedKey")
    if not start:
        break
check("Table.query in pages", seqs == list(range(3, 12)) and pages == 3, (seqs, pages))
paginated = [int(i["seq"]["N"]) for p in ddb.get_paginator("query").paginate(
    TableName=ledger.name, KeyConditionExpression="acct = :a", ExpressionAttributeValues={":a": {"S": "a"}},
    ScanIndexForward=False, PaginationConfig={"PageSize": 5}) for i in p["Items"]]
check("the query paginator, backwards", paginated == list(range(12, 0, -1)), paginated)
filtered = ledger.scan(FilterExpression=Attr("amount").gt(100) & Attr("meta.ok").eq(True))
check("Table.scan with a filter", filtered["Count"] == 4 and filtered["ScannedCount"] == 14, (filtered["Count"], filtered["ScannedCount"]))
updated = ledger.update_item(
    Key={"acct": "a", "seq": 1}, UpdateExpression="ADD tags :t SET amount = amount - :d",
    ConditionExpression=Attr("amount").gte(Decimal("12.5")),
    ExpressionAttributeValues={":t": {"y"}, ":d": Decimal("0.5")}, ReturnValues="UPDATED_NEW",
)["Attributes"]
check("Table.update_item", updated == {"tags": {"x", "t1", "y"}, "amount": Decimal("12")}, updated)
try:
    ledger.delete_item(Key={"acct": "a", "seq": 1}, ConditionExpression=Attr("amount").lt(0), ReturnValuesOnConditionCheckFailure="ALL_OLD")
    check("Table.delete_item, condition fails", False)
except ledger.meta.client.exceptions.ConditionalCheckFailedException as e:
    check("Table.delete_item, condition fails", e.response["Item"]["amount"] == {"N": "12"}, e.response)
ledger.delete()
expect_error("Table.delete, then describe", "ResourceNotFoundException", ddb.describe_table, TableName=ledger.name)


# --- the AWS CLI
def aws(*args):
    return subprocess.run([AWS, "dynamodb", *args, "--endpoint-url", ENDPOINT, "--region", REGION, "--output", "json"], capture_output=True, text=True)


cli = f"cli-jobs-{SUFFIX}"
created = aws("create-table", "--table-name", cli,
              "--attribute-definitions", "AttributeName=id,AttributeType=S", "AttributeName=seq,AttributeType=N",
              "--key-schema", "AttributeName=id,KeyType=HASH", "AttributeName=seq,KeyType=RANGE",
              "--billing-mode", "PAY_PER_REQUEST")
check("aws dynamodb create-table", created.returncode == 0 and json.loads(created.stdout)["TableDescription"]["TableStatus"] == "ACTIVE", created.stderr)
put = aws("put-item", "--table-name", cli, "--item", json.dumps({"id": {"S": "job"}, "seq": {"N": "1"}, "status": {"S": "NEW"}}),
          "--condition-expression", "attribute_not_exists(id)")
check("aws dynamodb put-item --condition-expression", put.returncode == 0, put.stderr)
put = aws("put-item", "--table-name", cli, "--item", json.dumps({"id": {"S": "job"}, "seq": {"N": "2"}, "status": {"S": "NEW"}}))
got = aws("get-item", "--table-name", cli, "--key", json.dumps({"id": {"S": "job"}, "seq": {"N": "1"}}), "--consistent-read")
check("aws dynamodb get-item", got.returncode == 0 and json.loads(got.stdout)["Item"]["status"] == {"S": "NEW"}, got.stdout + got.stderr)
queried = aws("query", "--table-name", cli, "--key-condition-expression", "id = :id",
              "--expression-attribute-values", json.dumps({":id": {"S": "job"}}), "--no-scan-index-forward")
check("aws dynamodb query", queried.returncode == 0 and [i["seq"]["N"] for i in json.loads(queried.stdout)["Items"]] == ["2", "1"], queried.stdout + queried.stderr)
update_args = ["update-item", "--table-name", cli, "--key", json.dumps({"id": {"S": "job"}, "seq": {"N": "1"}}),
               "--update-expression", "SET #s = :done", "--condition-expression", "#s = :new",
               "--expression-attribute-names", json.dumps({"#s": "status"}),
               "--expression-attribute-values", json.dumps({":done": {"S": "DONE"}, ":new": {"S": "NEW"}}),
               "--return-values", "UPDATED_NEW"]
updated = aws(*update_args)
check("aws dynamodb update-item --condition-expression", updated.returncode == 0 and json.loads(updated.stdout)["Attributes"] == {"status": {"S": "DONE"}}, updated.stdout + updated.stderr)
refused = aws(*update_args)
# The AWS CLI v1 (pinned in tools/python-requirements.txt) exits 255 on a
# service error; v2 exits 254 ("Return codes" in the AWS CLI user guide).
SERVICE_ERROR = 255
check("aws dynamodb update-item, condition fails: exit 255 and AWS's message",
      refused.returncode == SERVICE_ERROR
      and "An error occurred (ConditionalCheckFailedException) when calling the UpdateItem operation: The conditional request failed" in refused.stderr,
      f"exit {refused.returncode}: {refused.stderr}")
ttl = aws("update-time-to-live", "--table-name", cli, "--time-to-live-specification", "Enabled=true,AttributeName=expires")
check("aws dynamodb update-time-to-live", ttl.returncode == 0 and json.loads(ttl.stdout)["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}, ttl.stdout + ttl.stderr)
missing = aws("describe-table", "--table-name", "cli-nope")
check("aws dynamodb describe-table, missing: exit 255", missing.returncode == SERVICE_ERROR and "ResourceNotFoundException" in missing.stderr, missing.stderr)

print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
