"""localcloud's SQS, checked with clients nobody on the project wrote.

Runs every SQS operation localcloud serves through boto3, and the common
ones through the AWS CLI, against the endpoint given as the first argument
(a running `cargo xtask localcloud up`), and checks the answers, including
the error codes. Prints one line per check and a closing
'N passed, N failed' line. Exit status 0 only if every check passed.
"""

import hashlib
import json
import os
import subprocess
import sys
import time

import boto3
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
sqs = boto3.client("sqs", endpoint_url=ENDPOINT, region_name=REGION)
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


def error_code(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def expect_error(name, code, call, *args, **kwargs):
    got = error_code(call, *args, **kwargs)
    check(f"{name} -> {code}", got == code, f"(got {got})")


# --- boto3: queues
dlq = sqs.create_queue(QueueName="py-dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
check("CreateQueue returns a URL", dlq.endswith("/000000000000/py-dlq"), dlq)
policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
url = sqs.create_queue(
    QueueName="py-jobs",
    Attributes={"VisibilityTimeout": "1", "RedrivePolicy": policy},
    tags={"team": "workshop"},
)["QueueUrl"]
check("CreateQueue again, same attributes", sqs.create_queue(QueueName="py-jobs", Attributes={"VisibilityTimeout": "1"})["QueueUrl"] == url)
expect_error("CreateQueue, other attributes", "QueueAlreadyExists", sqs.create_queue, QueueName="py-jobs", Attributes={"VisibilityTimeout": "2"})
expect_error("CreateQueue, bad name", "InvalidParameterValue", sqs.create_queue, QueueName="bad name")
expect_error("CreateQueue, .fifo name without FifoQueue", "InvalidParameterValue", sqs.create_queue, QueueName="q.fifo")
check("GetQueueUrl", sqs.get_queue_url(QueueName="py-jobs")["QueueUrl"] == url)
expect_error("GetQueueUrl, missing", "AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_url, QueueName="nope")
listed = sqs.list_queues(QueueNamePrefix="py-")["QueueUrls"]
check("ListQueues with prefix", sorted(listed) == sorted([url, dlq]), listed)
page = sqs.list_queues(MaxResults=1)
check("ListQueues paginates", len(page["QueueUrls"]) == 1 and "NextToken" in page)
attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
check("GetQueueAttributes All", attributes["VisibilityTimeout"] == "1" and json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2, attributes)
sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0", "MaximumMessageSize": "2048"})
check("SetQueueAttributes", sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])["Attributes"]["MaximumMessageSize"] == "2048")
expect_error("SetQueueAttributes, out of range", "InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": "50000"})
expect_error("SetQueueAttributes, unknown", "InvalidAttributeName", sqs.set_queue_attributes, QueueUrl=url, Attributes={"Colour": "red"})
sqs.tag_queue(QueueUrl=url, Tags={"step": "3"})
sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
check("Tag/Untag/ListQueueTags", sqs.list_queue_tags(QueueUrl=url).get("Tags") == {"step": "3"})
check("ListDeadLetterSourceQueues", sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [url])

# --- boto3: messages
sent = sqs.send_message(
    QueueUrl=url,
    MessageBody='{"input": 1}',
    MessageAttributes={"kind": {"DataType": "String", "StringValue": "job"}, "n": {"DataType": "Number", "StringValue": "42"}},
)
check("SendMessage returns MD5s", sent["MD5OfMessageBody"] == hashlib.md5(b'{"input": 1}').hexdigest() and len(sent["MD5OfMessageAttributes"]) == 32, sent)
got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
message = got[0]
check("ReceiveMessage body and attributes", message["Body"] == '{"input": 1}' and message["MessageAttributes"]["n"]["StringValue"] == "42")
check("ReceiveMessage receive count", message["Attributes"]["ApproximateReceiveCount"] == "1")
sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
again = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
check("ChangeMessageVisibility 0 makes it visible again", again["MessageId"] == message["MessageId"])
sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
count = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
check("DeleteMessage with an old handle deletes nothing", count == "1", count)
sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
expect_error("DeleteMessage, garbage handle", "ReceiptHandleIsInvalid", sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage")
expect_error("SendMessage, bad characters", "InvalidMessageContents", sqs.send_message, QueueUrl=url, MessageBody="\x00")
expect_error("SendMessage, too long", "InvalidParameterValue", sqs.send_message, QueueUrl=url, MessageBody="x" * 3000)
expect_error("ReceiveMessage, MaxNumberOfMessages 11", "InvalidParameterValue", sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)

batch = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}, {"Id": "c", "MessageBody": "\x01"}])
check("SendMessageBatch partial failure", len(batch["Successful"]) == 2 and batch["Failed"][0]["Code"] == "InvalidMessageContents", batch.get("Failed"))
expect_error("SendMessageBatch, empty", "AWS.SimpleQueueService.EmptyBatchRequest", sqs.send_message_batch, QueueUrl=url, Entries=[])
expect_error("SendMessageBatch, duplicate ids", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[{"Id": f"e{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(received)])
check("ChangeMessageVisibilityBatch", len(changed["Successful"]) == len(received) == 2)
received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)])
check("DeleteMessageBatch", len(deleted["Successful"]) == 2)

# --- boto3: the DLQ, in real time (visibility 1 s, maxReceiveCount 2)
sqs.send_message(QueueUrl=url, MessageBody="poison")
for _ in range(2):
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    time.sleep(1.1)
check("third receive moves the message to the DLQ", "Messages" not in sqs.receive_message(QueueUrl=url))
moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
check("the DLQ holds it, with its source", moved["Body"] == "poison" and moved["Attributes"]["DeadLetterQueueSourceArn"].endswith(":py-jobs"))
task = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
for _ in range(50):
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    if tasks[0]["Status"] == "COMPLETED":
        break
    time.sleep(0.1)
check("StartMessageMoveTask / ListMessageMoveTasks", tasks[0]["Status"] == "COMPLETED" and tasks[0]["ApproximateNumberOfMessagesMoved"] == 1, tasks)
expect_error("CancelMessageMoveTask, unknown", "ResourceNotFoundException", sqs.cancel_message_move_task, TaskHandle="nope")
sqs.purge_queue(QueueUrl=url)
expect_error("PurgeQueue twice in 60 s", "AWS.SimpleQueueService.PurgeQueueInProgress", sqs.purge_queue, QueueUrl=url)
sqs.delete_queue(QueueUrl=url)
expect_error("DeleteQueue, gone", "AWS.SimpleQueueService.NonExistentQueue", sqs.delete_queue, QueueUrl=url)


# --- FIFO queues (boto3): groups, order, deduplication, sequence numbers
fdlq = sqs.create_queue(QueueName="py-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
fdlq_arn = sqs.get_queue_attributes(QueueUrl=fdlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
furl = sqs.create_queue(
    QueueName="py-payments.fifo",
    Attributes={
        "FifoQueue": "true",
        "ContentBasedDeduplication": "true",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": fdlq_arn, "maxReceiveCount": "2"}),
    },
)["QueueUrl"]
fattrs = sqs.get_queue_attributes(QueueUrl=furl, AttributeNames=["All"])["Attributes"]
check("FIFO CreateQueue reports FifoQueue and ContentBasedDeduplication",
      fattrs.get("FifoQueue") == "true" and fattrs.get("ContentBasedDeduplication") == "true", fattrs)
expect_error("FIFO CreateQueue without .fifo", "InvalidParameterValue", sqs.create_queue, QueueName="py-nofifo", Attributes={"FifoQueue": "true"})
expect_error("FIFO SendMessage without MessageGroupId", "MissingParameter", sqs.send_message, QueueUrl=furl, MessageBody="x")
expect_error("FIFO SendMessage with DelaySeconds", "InvalidParameterValue", sqs.send_message, QueueUrl=furl, MessageBody="x", MessageGroupId="a", DelaySeconds=5)
first = sqs.send_message(QueueUrl=furl, MessageBody="a1", MessageGroupId="a")
again = sqs.send_message(QueueUrl=furl, MessageBody="a1", MessageGroupId="a")
check("FIFO SendMessage has a SequenceNumber", first.get("SequenceNumber", "").isdigit(), first)
check("FIFO a duplicate within 5 minutes is accepted with the first message's id", again["MessageId"] == first["MessageId"], again)
sqs.send_message(QueueUrl=furl, MessageBody="a2", MessageGroupId="a")
sqs.send_message(QueueUrl=furl, MessageBody="b1", MessageGroupId="b")
got = sqs.receive_message(QueueUrl=furl, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=30).get("Messages", [])
bodies = [m["Body"] for m in got]
check("FIFO ReceiveMessage: each group in send order, the duplicate not delivered", bodies in (["a1", "a2", "b1"], ["b1", "a1", "a2"]), bodies)
check("FIFO ReceiveMessage: MessageGroupId and SequenceNumber attributes",
      all(m["Attributes"].get("MessageGroupId") in ("a", "b") and m["Attributes"].get("SequenceNumber", "").isdigit() for m in got), got)
check("FIFO ReceiveMessage: a group in flight gives nothing more",
      sqs.receive_message(QueueUrl=furl, MaxNumberOfMessages=10).get("Messages", []) == [])
for m in got:
    sqs.delete_message(QueueUrl=furl, ReceiptHandle=m["ReceiptHandle"])
expect_error("FIFO queue with a standard DLQ", "InvalidParameterValue", sqs.set_queue_attributes, QueueUrl=furl,
             Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})
sqs.delete_queue(QueueUrl=furl)
sqs.delete_queue(QueueUrl=fdlq)


# --- the AWS CLI
def aws(*args):
    return subprocess.run([AWS, "sqs", *args, "--endpoint-url", ENDPOINT, "--region", REGION, "--output", "json"], capture_output=True, text=True)


created = aws("create-queue", "--queue-name", "cli-q")
check("aws sqs create-queue", created.returncode == 0 and json.loads(created.stdout)["QueueUrl"].endswith("/cli-q"), created.stderr)
cli_url = json.loads(created.stdout)["QueueUrl"] if created.returncode == 0 else ""
sent = aws("send-message", "--queue-url", cli_url, "--message-body", "from the cli")
check("aws sqs send-message", sent.returncode == 0 and "MessageId" in sent.stdout, sent.stderr)
received = aws("receive-message", "--queue-url", cli_url, "--attribute-names", "All", "--wait-time-seconds", "1")
ok = received.returncode == 0 and json.loads(received.stdout)["Messages"][0]["Body"] == "from the cli"
check("aws sqs receive-message", ok, received.stderr)
if ok:
    handle = json.loads(received.stdout)["Messages"][0]["ReceiptHandle"]
    check("aws sqs delete-message", aws("delete-message", "--queue-url", cli_url, "--receipt-handle", handle).returncode == 0)
attrs = aws("get-queue-attributes", "--queue-url", cli_url, "--attribute-names", "All")
check("aws sqs get-queue-attributes", attrs.returncode == 0 and json.loads(attrs.stdout)["Attributes"]["ApproximateNumberOfMessages"] == "0", attrs.stderr)
check("aws sqs list-queues", "cli-q" in aws("list-queues").stdout)
check("aws sqs get-queue-url", aws("get-queue-url", "--queue-name", "cli-q").stdout.count("cli-q") == 1)
check("aws sqs set-queue-attributes", aws("set-queue-attributes", "--queue-url", cli_url, "--attributes", "VisibilityTimeout=1").returncode == 0)
check("aws sqs tag-queue / list-queue-tags / untag-queue",
      aws("tag-queue", "--queue-url", cli_url, "--tags", "team=cli,step=2").returncode == 0
      and aws("untag-queue", "--queue-url", cli_url, "--tag-keys", "step").returncode == 0
      and json.loads(aws("list-queue-tags", "--queue-url", cli_url).stdout)["Tags"] == {"team": "cli"})
batch = aws("send-message-batch", "--queue-url", cli_url, "--entries", json.dumps([{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}]))
check("aws sqs send-message-batch", batch.returncode == 0 and len(json.loads(batch.stdout)["Successful"]) == 2, batch.stderr)
got = json.loads(aws("receive-message", "--queue-url", cli_url, "--max-number-of-messages", "10", "--wait-time-seconds", "1", "--visibility-timeout", "60").stdout or "{}").get("Messages", [])
check("aws sqs receive-message (batch)", len(got) == 2)
if len(got) == 2:
    check("aws sqs change-message-visibility", aws("change-message-visibility", "--queue-url", cli_url, "--receipt-handle", got[0]["ReceiptHandle"], "--visibility-timeout", "30").returncode == 0)
    changed = aws("change-message-visibility-batch", "--queue-url", cli_url, "--entries", json.dumps([{"Id": "x", "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 30}]))
    check("aws sqs change-message-visibility-batch", changed.returncode == 0 and len(json.loads(changed.stdout)["Successful"]) == 1, changed.stderr)
    deleted = aws("delete-message-batch", "--queue-url", cli_url, "--entries", json.dumps([{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]))
    check("aws sqs delete-message-batch", deleted.returncode == 0 and len(json.loads(deleted.stdout)["Successful"]) == 2, deleted.stderr)
cli_dlq = json.loads(aws("create-queue", "--queue-name", "cli-dlq").stdout)["QueueUrl"]
cli_dlq_arn = json.loads(aws("get-queue-attributes", "--queue-url", cli_dlq, "--attribute-names", "QueueArn").stdout)["Attributes"]["QueueArn"]
redrive = json.dumps({"RedrivePolicy": json.dumps({"deadLetterTargetArn": cli_dlq_arn, "maxReceiveCount": "1"})})
check("aws sqs set-queue-attributes RedrivePolicy", aws("set-queue-attributes", "--queue-url", cli_url, "--attributes", redrive).returncode == 0)
sources = aws("list-dead-letter-source-queues", "--queue-url", cli_dlq)
check("aws sqs list-dead-letter-source-queues", sources.returncode == 0 and json.loads(sources.stdout)["queueUrls"] == [cli_url], sources.stdout + sources.stderr)
started = aws("start-message-move-task", "--source-arn", cli_dlq_arn)
check("aws sqs start-message-move-task", started.returncode == 0 and "TaskHandle" in started.stdout, started.stderr)
listed = aws("list-message-move-tasks", "--source-arn", cli_dlq_arn)
check("aws sqs list-message-move-tasks", listed.returncode == 0 and json.loads(listed.stdout)["Results"][0]["Status"] in ("RUNNING", "COMPLETED"), listed.stderr)
cancel = aws("cancel-message-move-task", "--task-handle", "nope")
check("aws sqs cancel-message-move-task, unknown", cancel.returncode != 0 and "ResourceNotFoundException" in cancel.stderr, cancel.stderr)
missing = aws("get-queue-url", "--queue-name", "nope")
check("aws sqs get-queue-url, missing", missing.returncode != 0 and "NonExistentQueue" in missing.stderr, missing.stderr)
check("aws sqs purge-queue", aws("purge-queue", "--queue-url", cli_url).returncode == 0)
check("aws sqs delete-queue", aws("delete-queue", "--queue-url", cli_url).returncode == 0)

fifo_created = aws("create-queue", "--queue-name", "cli-q.fifo", "--attributes", "FifoQueue=true,ContentBasedDeduplication=true")
check("aws sqs create-queue (FIFO)", fifo_created.returncode == 0 and json.loads(fifo_created.stdout)["QueueUrl"].endswith("/cli-q.fifo"), fifo_created.stderr)
if fifo_created.returncode == 0:
    fifo_url = json.loads(fifo_created.stdout)["QueueUrl"]
    fifo_sent = aws("send-message", "--queue-url", fifo_url, "--message-body", "in order", "--message-group-id", "account-1")
    check("aws sqs send-message --message-group-id", fifo_sent.returncode == 0 and "SequenceNumber" in fifo_sent.stdout, fifo_sent.stderr)
    no_group = aws("send-message", "--queue-url", fifo_url, "--message-body", "no group")
    check("aws sqs send-message to FIFO without a group fails", no_group.returncode != 0 and "MissingParameter" in no_group.stderr, no_group.stderr)
    fifo_got = aws("receive-message", "--queue-url", fifo_url, "--attribute-names", "All")
    ok = fifo_got.returncode == 0 and json.loads(fifo_got.stdout)["Messages"][0]["Attributes"]["MessageGroupId"] == "account-1"
    check("aws sqs receive-message (FIFO) carries the group", ok, fifo_got.stdout + fifo_got.stderr)
    check("aws sqs delete-queue (FIFO)", aws("delete-queue", "--queue-url", fifo_url).returncode == 0)

print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
