// Lesson step 2 under load: POST {"input": n} to /produce, with a
// different n on every iteration, and check the producer queued it (200
// with the message's id). What the worker then does with each job is
// counted by `cargo xtask loadtest step2` in its ledger.
//
//   cargo xtask loadtest step2                  (boots the lesson itself)
//   k6 run -e BASE_URL=http://127.0.0.1:3000 k6/step2.js
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { baseUrl, scenarios, thresholds } from './shape.js';

export const options = {
  scenarios: scenarios(),
  thresholds: thresholds(100),
};

const url = `${baseUrl()}/produce`;
const params = { headers: { 'Content-Type': 'application/json' } };

export default function () {
  const n = exec.scenario.iterationInTest + 1;
  const res = http.post(url, JSON.stringify({ input: n }), params);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'the job is queued': (r) => {
      const body = r.json();
      return body !== null && typeof body.messageId === 'string' && body.input === n;
    },
  });
}
