//! Step 1's integration tests, in one test binary: each module
//! is one file of tests, and the dependency tree is linked once for all of
//! them instead of once per file.

mod answers;
mod local_http_api;
