"""One suite of SQS scenarios, run against any endpoint.

`cargo xtask compare-moto` runs it against localcloud and against moto's
server and prints where the two differ; docs/sqs-differences.md says which
one follows AWS's documentation. Prints one JSON object: scenario -> what
was observed.
"""

import json
import sys
import time

import boto3
from botocore.exceptions import ClientError

sqs = boto3.client(
    "sqs",
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
            observed[name] = "error " + e.response["Error"]["Code"]
        except Exception as e:  # a client-side failure is an observation too
            observed[name] = f"client failure {type(e).__name__}"
        return fn

    return run


def code(fn, **kwargs):
    try:
        fn(**kwargs)
        return "ok"
    except ClientError as e:
        return "error " + e.response["Error"]["Code"]


def new_queue(name, **attributes):
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


@scenario("delete with an old receipt handle, after the message was received again")
def _():
    url = new_queue("stale", VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="transfer")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    time.sleep(1.2)
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first)
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return f"messages left: {int(left['ApproximateNumberOfMessages']) + int(left['ApproximateNumberOfMessagesNotVisible'])}"


@scenario("move to the DLQ after maxReceiveCount receives")
def _():
    dlq = new_queue("cmp-dlq")
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = new_queue("cmp-src", VisibilityTimeout=1, RedrivePolicy=json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2}))
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    deliveries = 0
    for _ in range(4):
        if "Messages" in sqs.receive_message(QueueUrl=url):
            deliveries += 1
        time.sleep(1.1)
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"]).get("Messages", [])
    count = moved[0]["Attributes"].get("ApproximateReceiveCount") if moved else None
    source = "DeadLetterQueueSourceArn" in moved[0]["Attributes"] if moved else None
    return f"deliveries: {deliveries}, in DLQ: {len(moved)}, receive count seen in DLQ: {count}, DeadLetterQueueSourceArn: {source}"


@scenario("default MaximumMessageSize")
def _():
    return sqs.get_queue_attributes(QueueUrl=new_queue("sizes"), AttributeNames=["MaximumMessageSize"])["Attributes"]["MaximumMessageSize"]


@scenario("CreateQueue on an existing name with other attributes")
def _():
    new_queue("twice", VisibilityTimeout=10)
    return code(sqs.create_queue, QueueName="twice", Attributes={"VisibilityTimeout": "20"})


@scenario("CreateQueue right after DeleteQueue of the same name")
def _():
    url = new_queue("reborn")
    sqs.delete_queue(QueueUrl=url)
    return code(sqs.create_queue, QueueName="reborn")


@scenario("SendMessage with a forbidden character")
def _():
    return code(sqs.send_message, QueueUrl=new_queue("chars"), MessageBody="a\x00b")


@scenario("SendMessage over MaximumMessageSize")
def _():
    return code(sqs.send_message, QueueUrl=new_queue("small", MaximumMessageSize=1024), MessageBody="x" * 1025)


@scenario("ReceiveMessage with MaxNumberOfMessages 11")
def _():
    return code(sqs.receive_message, QueueUrl=new_queue("eleven"), MaxNumberOfMessages=11)


@scenario("ReceiveMessage of 10 with VisibilityTimeout 0 and one message")
def _():
    url = new_queue("zero")
    sqs.send_message(QueueUrl=url, MessageBody="once")
    return f"messages returned: {len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get('Messages', []))}"


@scenario("ChangeMessageVisibility on a message no longer in flight")
def _():
    url = new_queue("notinflight", VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    time.sleep(1.2)
    return code(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5)


@scenario("ChangeMessageVisibility beyond 12 hours in total")
def _():
    url = new_queue("cap")
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]["ReceiptHandle"]
    time.sleep(1)
    return code(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)


@scenario("DeleteMessage with a malformed receipt handle")
def _():
    return code(sqs.delete_message, QueueUrl=new_queue("garbage"), ReceiptHandle="garbage")


@scenario("PurgeQueue twice within 60 seconds")
def _():
    url = new_queue("purge")
    sqs.purge_queue(QueueUrl=url)
    return code(sqs.purge_queue, QueueUrl=url)


@scenario("CreateQueue of a FIFO queue")
def _():
    return code(sqs.create_queue, QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})


@scenario("MessageRetentionPeriod 59")
def _():
    return code(sqs.create_queue, QueueName="retention", Attributes={"MessageRetentionPeriod": "59"})


@scenario("SendMessageBatch with no entries")
def _():
    return code(sqs.send_message_batch, QueueUrl=new_queue("emptybatch"), Entries=[])


@scenario("SendMessageBatch with a repeated id")
def _():
    return code(sqs.send_message_batch, QueueUrl=new_queue("dupbatch"), Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])


@scenario("GetQueueUrl of a missing queue")
def _():
    return code(sqs.get_queue_url, QueueName="missing")


@scenario("MD5OfMessageAttributes of a String and a Binary attribute")
def _():
    sent = sqs.send_message(
        QueueUrl=new_queue("md5"),
        MessageBody="b",
        MessageAttributes={"s": {"DataType": "String", "StringValue": "v"}, "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}},
    )
    return sent["MD5OfMessageAttributes"]


@scenario("long poll: message sent 1 s into a 5 s wait")
def _():
    import threading

    url = new_queue("longpoll")
    threading.Timer(1.0, lambda: sqs.send_message(QueueUrl=url, MessageBody="late")).start()
    started = time.time()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    return f"got {len(got)} after about {round(time.time() - started)} s"


@scenario("FIFO: SendMessage without MessageGroupId")
def _():
    return code(sqs.send_message, QueueUrl=new_queue("nogroup.fifo", FifoQueue="true", ContentBasedDeduplication="true"), MessageBody="x")


@scenario("FIFO: SendMessage without a deduplication id or content-based deduplication")
def _():
    return code(sqs.send_message, QueueUrl=new_queue("nodedup.fifo", FifoQueue="true"), MessageBody="x", MessageGroupId="g")


@scenario("FIFO: per-message DelaySeconds")
def _():
    url = new_queue("delay.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    return code(sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g", DelaySeconds=5)


@scenario("FIFO: the same body sent twice within 5 minutes (content-based deduplication)")
def _():
    url = new_queue("dedup.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="transfer", MessageGroupId="g")
    again = sqs.send_message(QueueUrl=url, MessageBody="transfer", MessageGroupId="g")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return f"same id: {first['MessageId'] == again['MessageId']}, delivered: {len(got)}"


@scenario("FIFO: order within a group, and a group in flight holds back the rest")
def _():
    url = new_queue("order.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for body in ["a1", "a2", "a3"]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="a")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=30)["Messages"]
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return f"first {[m['Body'] for m in first]}, then {len(second)} while a1 is in flight"


@scenario("FIFO: a message whose visibility ran out comes first again")
def _():
    url = new_queue("again.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for body in ["a1", "a2"]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="a")
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=1)
    time.sleep(1.2)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
    return ", ".join(f"{m['Body']} (receive {m['Attributes']['ApproximateReceiveCount']})" for m in got)


@scenario("FIFO: a standard queue as a FIFO queue's DLQ")
def _():
    dlq = new_queue("std-dlq")
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "2"})
    return code(sqs.create_queue, QueueName="withstd.fifo", Attributes={"FifoQueue": "true", "RedrivePolicy": policy})


print(json.dumps(observed))
