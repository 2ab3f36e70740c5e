// Lesson step 3 under load: the same producer as step 2, so the same
// script (k6/step2.js). What the slow worker does with each job (commits,
// duplicates, the DLQ) is counted by `cargo xtask loadtest step3` in its
// ledger.
//
//   cargo xtask loadtest step3 --visibility 10  (the short timeout of the lesson)
//   k6 run -e BASE_URL=http://127.0.0.1:3000 k6/step3.js
export { options, default } from './step2.js';
