// The load shape every script shares, read from the environment so one
// script serves a quick check and a long run alike:
//
//   RATE=<n>       a constant arrival rate: n requests per second, whatever
//                  the answers' speed (k6's constant-arrival-rate executor);
//   otherwise      VUS virtual users, each sending its next request when the
//                  last answer is in (constant-vus).
//   VUS=<n>        virtual users (default 8); with RATE, the most k6 may use.
//   DURATION=<d>   how long: 10s, 1m, 1m30s (default 10s).
//   P95_MS=<ms>    the p95 latency budget of the thresholds (default per script).

export function scenarios() {
  const vus = parseInt(__ENV.VUS || '8', 10);
  const duration = __ENV.DURATION || '10s';
  if (__ENV.RATE) {
    return {
      load: {
        executor: 'constant-arrival-rate',
        rate: parseInt(__ENV.RATE, 10),
        timeUnit: '1s',
        duration,
        preAllocatedVUs: vus,
        maxVUs: vus * 4,
      },
    };
  }
  return { load: { executor: 'constant-vus', vus, duration } };
}

// Thresholds: fewer than 1% failed requests, more than 99% of checks
// passed, and the p95 latency under the budget. k6 exits non-zero when one
// is crossed.
export function thresholds(defaultP95Ms) {
  const p95 = parseInt(__ENV.P95_MS || String(defaultP95Ms), 10);
  return {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    http_req_duration: [`p(95)<${p95}`],
  };
}

// The stack's base URL, without a trailing slash.
export function baseUrl() {
  return (__ENV.BASE_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
}
