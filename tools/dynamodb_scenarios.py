"""One suite of DynamoDB scenarios, run against any endpoint.

`cargo xtask compare-moto` runs it against localcloud and against moto's
server and prints where the two differ; docs/sqs-differences.md says which
one follows AWS's documentation. Prints one JSON object: scenario -> what
was observed (an error is its code and message).
"""

import json
import re
import sys
import time

import boto3
from botocore.exceptions import ClientError

ddb = boto3.client(
    "dynamodb",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIDCOMPARE",
    aws_secret_access_key="secret",
)
observed = {}


def scenario(name):
    def run(fn):
        try:
            observed[name] = fn()
        except ClientError as e:
            observed[name] = f"error {e.response['Error']['Code']}: {e.response['Error'].get('Message')}"
        except Exception as e:  # a client-side failure is an observation too
            observed[name] = f"client failure {type(e).__name__}"
        return fn

    return run


def code(fn, **kwargs):
    try:
        fn(**kwargs)
        return "ok"
    except ClientError as e:
        return f"error {e.response['Error']['Code']}: {e.response['Error'].get('Message')}"


def new_table(name, sort=None):
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort:
        definitions.append({"AttributeName": sort, "AttributeType": "N"})
        schema.append({"AttributeName": sort, "KeyType": "RANGE"})
    return ddb.create_table(TableName=name, AttributeDefinitions=definitions, KeySchema=schema, BillingMode="PAY_PER_REQUEST")["TableDescription"]


new_table("items")
new_table("ledger", sort="seq")
for seq in range(1, 11):
    ddb.put_item(TableName="ledger", Item={"pk": {"S": "a"}, "seq": {"N": str(seq)}, "even": {"BOOL": seq % 2 == 0}})
ddb.put_item(TableName="ledger", Item={"pk": {"S": "b"}, "seq": {"N": "1"}})


def key(pk):
    return {"pk": {"S": pk}}


# --- tables


@scenario("CreateTable: the status returned")
def _():
    return new_table("fresh")["TableStatus"]


@scenario("CreateTable of an existing table")
def _():
    return code(new_table, name="items")


@scenario("DescribeTable of a missing table")
def _():
    return code(ddb.describe_table, TableName="missing")


@scenario("GetItem on a missing table")
def _():
    return code(ddb.get_item, TableName="missing", Key=key("a"))


@scenario("DeleteTable: the status returned, then DescribeTable")
def _():
    new_table("doomed")
    status = ddb.delete_table(TableName="doomed")["TableDescription"]["TableStatus"]
    return f"{status}, then {code(ddb.describe_table, TableName='doomed')}"


@scenario("CreateTable with no billing mode and no throughput")
def _():
    return code(ddb.create_table, TableName="nothroughput", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])


# --- conditional writes


@scenario("PutItem attribute_not_exists twice")
def _():
    put = dict(TableName="items", Item={"pk": {"S": "claim"}}, ConditionExpression="attribute_not_exists(pk)")
    return f"{code(ddb.put_item, **put)}, then {code(ddb.put_item, **put)}"


@scenario("failed condition with ReturnValuesOnConditionCheckFailure ALL_OLD: Item")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "old"}, "v": {"N": "1"}})
    try:
        ddb.put_item(TableName="items", Item={"pk": {"S": "old"}}, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
        return "ok"
    except ClientError as e:
        return f"{e.response['Error']['Code']}, Item: {json.dumps(e.response.get('Item'), sort_keys=True)}"


@scenario("failed condition without ReturnValuesOnConditionCheckFailure: Item")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "old2"}, "v": {"N": "1"}})
    try:
        ddb.put_item(TableName="items", Item={"pk": {"S": "old2"}}, ConditionExpression="attribute_not_exists(pk)")
        return "ok"
    except ClientError as e:
        return f"{e.response['Error']['Code']}, Item: {json.dumps(e.response.get('Item'))}"


@scenario("UpdateItem condition on a missing item (attribute_exists)")
def _():
    return code(ddb.update_item, TableName="items", Key=key("ghost"), UpdateExpression="SET v = :v",
                ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":v": {"N": "1"}})


@scenario("DeleteItem with a condition comparing a number")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "num"}, "v": {"N": "10"}})
    return f"{code(ddb.delete_item, TableName='items', Key=key('num'), ConditionExpression='v > :n', ExpressionAttributeValues={':n': {'N': '10'}})}, then " \
           f"{code(ddb.delete_item, TableName='items', Key=key('num'), ConditionExpression='v >= :n', ExpressionAttributeValues={':n': {'N': '10'}})}"


@scenario("condition functions: begins_with, size, IN, contains")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "fn"}, "name": {"S": "worker-1"}, "tags": {"SS": ["a", "b"]}, "state": {"S": "NEW"}})
    results = []
    for condition in ["begins_with(#n, :p)", "size(tags) = :two", "#s IN (:a, :b)", "contains(tags, :t)", "size(#n) > :big"]:
        used = set(re.findall(r"[#:]\w+", condition))
        names = {k: v for k, v in {"#n": "name", "#s": "state"}.items() if k in used}
        values = {k: v for k, v in {":p": {"S": "worker-"}, ":two": {"N": "2"}, ":a": {"S": "NEW"}, ":b": {"S": "OLD"},
                                    ":t": {"S": "a"}, ":big": {"N": "100"}}.items() if k in used}
        extra = {"ExpressionAttributeNames": names} if names else {}
        results.append(code(ddb.put_item, TableName="items", Item={"pk": {"S": "fn"}, "name": {"S": "worker-1"}, "tags": {"SS": ["a", "b"]}, "state": {"S": "NEW"}},
                            ConditionExpression=condition, ExpressionAttributeValues=values, **extra).split(":")[0])
    return ", ".join(results)


@scenario("an empty ExpressionAttributeNames")
def _():
    return code(ddb.put_item, TableName="items", Item=key("emptynames"), ConditionExpression="attribute_not_exists(pk)",
                ExpressionAttributeNames={})


# --- update expressions and ReturnValues


@scenario("UpdateItem on a missing key: ALL_NEW")
def _():
    return json.dumps(ddb.update_item(TableName="items", Key=key("created"), UpdateExpression="SET v = :v",
                                      ExpressionAttributeValues={":v": {"N": "1"}}, ReturnValues="ALL_NEW")["Attributes"], sort_keys=True)


@scenario("UpdateItem SET, ADD, REMOVE, DELETE: UPDATED_NEW")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "upd"}, "n": {"N": "1"}, "gone": {"S": "x"}, "tags": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}})
    answer = ddb.update_item(TableName="items", Key=key("upd"),
                             UpdateExpression="SET l = list_append(l, :more), fresh = if_not_exists(fresh, :zero) ADD n :five REMOVE gone DELETE tags :a",
                             ExpressionAttributeValues={":more": {"L": [{"N": "2"}]}, ":zero": {"N": "0"}, ":five": {"N": "5"}, ":a": {"SS": ["a"]}},
                             ReturnValues="UPDATED_NEW")
    return json.dumps(answer.get("Attributes"), sort_keys=True)


@scenario("UpdateItem REMOVE: UPDATED_OLD and UPDATED_NEW")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "rm"}, "a": {"S": "x"}})
    old = ddb.update_item(TableName="items", Key=key("rm"), UpdateExpression="REMOVE a", ReturnValues="UPDATED_OLD").get("Attributes")
    ddb.put_item(TableName="items", Item={"pk": {"S": "rm"}, "a": {"S": "x"}})
    new = ddb.update_item(TableName="items", Key=key("rm"), UpdateExpression="REMOVE a", ReturnValues="UPDATED_NEW").get("Attributes")
    return f"old: {json.dumps(old)}, new: {json.dumps(new)}"


@scenario("UpdateItem of a nested path: UPDATED_OLD and UPDATED_NEW")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "nested"}, "a": {"M": {"b": {"S": "dog"}, "c": {"S": "cat"}}}})
    old = ddb.update_item(TableName="items", Key=key("nested"), UpdateExpression="SET a.b = :v",
                          ExpressionAttributeValues={":v": {"S": "hi"}}, ReturnValues="UPDATED_OLD").get("Attributes")
    new = ddb.update_item(TableName="items", Key=key("nested"), UpdateExpression="SET a.b = :v",
                          ExpressionAttributeValues={":v": {"S": "yo"}}, ReturnValues="UPDATED_NEW").get("Attributes")
    return f"old: {json.dumps(old, sort_keys=True)}, new: {json.dumps(new, sort_keys=True)}"


@scenario("UpdateItem REMOVE on a missing item: is it created?")
def _():
    answer = ddb.update_item(TableName="items", Key=key("removed-ghost"), UpdateExpression="REMOVE a", ReturnValues="ALL_NEW")
    created = "Item" in ddb.get_item(TableName="items", Key=key("removed-ghost"))
    return f"Attributes: {json.dumps(answer.get('Attributes'))}, created: {created}"


@scenario("UpdateItem ALL_OLD on a new item")
def _():
    answer = ddb.update_item(TableName="items", Key=key("brandnew"), UpdateExpression="SET v = :v",
                             ExpressionAttributeValues={":v": {"N": "1"}}, ReturnValues="ALL_OLD")
    return f"Attributes: {json.dumps(answer.get('Attributes'))}"


@scenario("UpdateItem SET a = a + :x with a missing")
def _():
    return code(ddb.update_item, TableName="items", Key=key("nothing"), UpdateExpression="SET a = a + :x",
                ExpressionAttributeValues={":x": {"N": "1"}})


@scenario("UpdateItem ADD to a string attribute")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "addstr"}, "a": {"S": "x"}})
    return code(ddb.update_item, TableName="items", Key=key("addstr"), UpdateExpression="ADD a :x",
                ExpressionAttributeValues={":x": {"N": "1"}})


@scenario("UpdateItem SET on the key")
def _():
    return code(ddb.update_item, TableName="items", Key=key("upd"), UpdateExpression="SET pk = :x",
                ExpressionAttributeValues={":x": {"S": "other"}})


@scenario("UpdateItem with a reserved word (status)")
def _():
    return code(ddb.update_item, TableName="items", Key=key("upd"), UpdateExpression="SET status = :x",
                ExpressionAttributeValues={":x": {"S": "DONE"}})


@scenario("UpdateItem with a syntax error")
def _():
    return code(ddb.update_item, TableName="items", Key=key("upd"), UpdateExpression="SET = :x",
                ExpressionAttributeValues={":x": {"S": "DONE"}})


@scenario("UpdateItem with the same attribute twice")
def _():
    return code(ddb.update_item, TableName="items", Key=key("upd"), UpdateExpression="SET a = :x, a = :y",
                ExpressionAttributeValues={":x": {"S": "1"}, ":y": {"S": "2"}})


@scenario("an unused ExpressionAttributeValues entry")
def _():
    return code(ddb.put_item, TableName="items", Item=key("unused"), ConditionExpression="attribute_not_exists(pk)",
                ExpressionAttributeValues={":nope": {"S": "x"}})


@scenario("an unused ExpressionAttributeNames entry")
def _():
    return code(ddb.put_item, TableName="items", Item=key("unused"), ConditionExpression="attribute_not_exists(pk)",
                ExpressionAttributeNames={"#nope": "x"})


@scenario("an undefined :value in an expression")
def _():
    return code(ddb.put_item, TableName="items", Item=key("undefined"), ConditionExpression="v = :missing")


@scenario("PutItem ReturnValues ALL_NEW")
def _():
    return code(ddb.put_item, TableName="items", Item=key("x"), ReturnValues="ALL_NEW")


@scenario("PutItem ReturnValues ALL_OLD over an item, and over nothing")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "over"}, "v": {"N": "1"}})
    first = ddb.put_item(TableName="items", Item=key("over"), ReturnValues="ALL_OLD").get("Attributes")
    second = ddb.put_item(TableName="items", Item=key("never"), ReturnValues="ALL_OLD").get("Attributes")
    return f"{json.dumps(first, sort_keys=True)}, {json.dumps(second)}"


@scenario("DeleteItem ReturnValues ALL_OLD of a missing item")
def _():
    return f"Attributes: {json.dumps(ddb.delete_item(TableName='items', Key=key('absent'), ReturnValues='ALL_OLD').get('Attributes'))}"


# --- items and values


@scenario("PutItem with the key of the wrong type")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"N": "1"}})


@scenario("PutItem without the key")
def _():
    return code(ddb.put_item, TableName="items", Item={"other": {"S": "1"}})


@scenario("PutItem with an empty string key")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"S": ""}})


@scenario("GetItem with an extra key attribute")
def _():
    return code(ddb.get_item, TableName="items", Key={"pk": {"S": "a"}, "x": {"S": "b"}})


@scenario("PutItem over 400 KB")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"S": "big"}, "b": {"S": "x" * (400 * 1024)}})


@scenario("PutItem of exactly 400 KB (names included)")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"S": "big"}, "b": {"S": "x" * (400 * 1024 - 6)}})


@scenario("a number with 39 significant digits")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"S": "n39"}, "n": {"N": "1" * 39}})


@scenario("a number of 1E+126")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"S": "n126"}, "n": {"N": "1E+126"}})


@scenario("numbers as read back: 0001.500, 1E+2, -0, 38 digits")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "norm"}, "a": {"N": "0001.500"}, "b": {"N": "1E+2"}, "c": {"N": "-0"},
                                          "d": {"N": "12345678901234567890123456789012345678"}})
    item = ddb.get_item(TableName="items", Key=key("norm"))["Item"]
    return ", ".join(item[k]["N"] for k in "abcd")


@scenario("an empty string set")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"S": "set"}, "s": {"SS": []}})


@scenario("a string set with a duplicate")
def _():
    return code(ddb.put_item, TableName="items", Item={"pk": {"S": "set"}, "s": {"SS": ["a", "a"]}})


@scenario("an empty string attribute (not a key)")
def _():
    ddb.put_item(TableName="items", Item={"pk": {"S": "empty"}, "s": {"S": ""}})
    return json.dumps(ddb.get_item(TableName="items", Key=key("empty"))["Item"]["s"])


# --- Query and Scan


def seqs(answer):
    return [int(i["seq"]["N"]) for i in answer.get("Items", [])]


@scenario("Query with Limit 5 over 10 items: pages")
def _():
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = ddb.query(TableName="ledger", KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "a"}}, Limit=5, **extra)
        start = page.get("LastEvaluatedKey")
        pages.append(f"{seqs(page)} LastEvaluatedKey={'yes' if start else 'no'}")
        if not start or len(pages) > 4:
            break
    return "; ".join(pages)


@scenario("Query backwards with a sort key condition")
def _():
    return str(seqs(ddb.query(TableName="ledger", KeyConditionExpression="pk = :a AND seq > :n", ExpressionAttributeValues={":a": {"S": "a"}, ":n": {"N": "6"}},
                              ScanIndexForward=False)))


@scenario("Query with a filter and Limit: Count, ScannedCount")
def _():
    page = ddb.query(TableName="ledger", KeyConditionExpression="pk = :a", FilterExpression="even = :t",
                     ExpressionAttributeValues={":a": {"S": "a"}, ":t": {"BOOL": True}}, Limit=5)
    return f"Count {page['Count']}, ScannedCount {page['ScannedCount']}, items {seqs(page)}"


@scenario("Query with begins_with on a number sort key")
def _():
    return code(ddb.query, TableName="ledger", KeyConditionExpression="pk = :a AND begins_with(seq, :p)",
                ExpressionAttributeValues={":a": {"S": "a"}, ":p": {"N": "1"}})


@scenario("Query on a non-key attribute")
def _():
    return code(ddb.query, TableName="ledger", KeyConditionExpression="even = :t", ExpressionAttributeValues={":t": {"BOOL": True}})


@scenario("Query without a key condition")
def _():
    return code(ddb.query, TableName="ledger")


@scenario("Query with an IndexName (no such index)")
def _():
    return code(ddb.query, TableName="ledger", IndexName="by-even", KeyConditionExpression="even = :t", ExpressionAttributeValues={":t": {"BOOL": True}})


@scenario("Scan with Select COUNT")
def _():
    answer = ddb.scan(TableName="ledger", Select="COUNT")
    return f"Count {answer['Count']}, Items present: {'Items' in answer}"


@scenario("Scan with a ProjectionExpression")
def _():
    answer = ddb.scan(TableName="ledger", ProjectionExpression="seq", Limit=2)
    return json.dumps(answer["Items"], sort_keys=True)


@scenario("Scan with Limit 0")
def _():
    return code(ddb.scan, TableName="ledger", Limit=0)


# --- TTL


@scenario("DescribeTimeToLive before and after UpdateTimeToLive")
def _():
    new_table("ttl")
    before = ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"]
    ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    after = ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"]
    return f"{json.dumps(before, sort_keys=True)} -> {json.dumps(after, sort_keys=True)}"


@scenario("UpdateTimeToLive enabling it twice")
def _():
    return code(ddb.update_time_to_live, TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})


@scenario("UpdateTimeToLive disabling it right after enabling")
def _():
    return code(ddb.update_time_to_live, TableName="ttl", TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})


@scenario("an item expired a minute ago, read at once")
def _():
    ddb.put_item(TableName="ttl", Item={"pk": {"S": "expired"}, "expires": {"N": str(int(time.time()) - 60)}})
    return "readable" if "Item" in ddb.get_item(TableName="ttl", Key=key("expired")) else "gone"


# --- not emulated by localcloud


@scenario("BatchWriteItem")
def _():
    return code(ddb.batch_write_item, RequestItems={"items": [{"PutRequest": {"Item": key("batch")}}]}).split(":")[0]


@scenario("TransactWriteItems")
def _():
    return code(ddb.transact_write_items, TransactItems=[{"Put": {"TableName": "items", "Item": key("tx")}}]).split(":")[0]


print(json.dumps(observed))
