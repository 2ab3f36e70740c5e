// Lesson step 1 under load: POST {"input": n} to the HTTP API, with a
// different n on every iteration, and check the answer is n + 1 exactly.
//
//   cargo xtask loadtest step1                  (boots the lesson itself)
//   k6 run -e BASE_URL=http://127.0.0.1:3000 k6/step1.js
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { baseUrl, scenarios, thresholds } from './shape.js';

export const options = {
  scenarios: scenarios(),
  thresholds: thresholds(50),
};

const url = `${baseUrl()}/`;
const params = { headers: { 'Content-Type': 'application/json' } };

export default function () {
  // Unique across all virtual users: 1, 2, 3, ...
  const n = exec.scenario.iterationInTest + 1;
  const res = http.post(url, JSON.stringify({ input: n }), params);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'output is input + 1': (r) => {
      const body = r.json();
      return body !== null && body.input === n && body.output === n + 1;
    },
  });
}
