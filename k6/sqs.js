// An SQS endpoint under load: each iteration is one cycle, SendMessage ->
// ReceiveMessage -> DeleteMessage, over the AWS JSON protocol (what the SDKs
// speak), on one queue. `cargo xtask bench sqs` runs it against localcloud
// and moto's server side by side; by hand:
//
//   k6 run -e ENDPOINT=http://127.0.0.1:9324 -e QUEUE_URL=<url> k6/sqs.js
import http from 'k6/http';
import { check } from 'k6';
import { scenarios, thresholds } from './shape.js';

export const options = {
  scenarios: scenarios(),
  // A cycle is three requests; the budget is per request.
  thresholds: thresholds(1000),
};

const endpoint = __ENV.ENDPOINT || 'http://127.0.0.1:9324';
const queueUrl = __ENV.QUEUE_URL;
const region = __ENV.REGION || 'us-east-1';
const body = 'x'.repeat(100);

function call(operation, payload) {
  return http.post(endpoint, JSON.stringify(payload), {
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AmazonSQS.${operation}`,
      // Neither localcloud nor moto checks the signature, as with the SDKs'
      // test credentials; the region is read from the scope.
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    tags: { operation },
  });
}

export default function () {
  const sent = call('SendMessage', { QueueUrl: queueUrl, MessageBody: body });
  check(sent, { 'SendMessage 200': (r) => r.status === 200 });
  const received = call('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 1 });
  check(received, { 'ReceiveMessage 200': (r) => r.status === 200 });
  const messages = received.status === 200 ? received.json('Messages') : null;
  if (messages && messages.length > 0) {
    const deleted = call('DeleteMessage', {
      QueueUrl: queueUrl,
      ReceiptHandle: messages[0].ReceiptHandle,
    });
    check(deleted, { 'DeleteMessage 200': (r) => r.status === 200 });
  }
}
