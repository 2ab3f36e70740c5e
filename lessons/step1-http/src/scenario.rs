//! The requests `cargo xtask lesson step1 run` sends, and what each must get.
//! The lesson owns its contract; the runner only plays it.

/// One request of the scenario.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub what: &'static str,
    pub body: &'static str,
    pub status: u16,
    /// The exact body expected, or `None` for "a `{"message": ...}` error".
    pub answer: Option<&'static str>,
}

/// The retrospective's request, then the mistakes a learner makes.
pub const SCENARIO: &[Check] = &[
    Check {
        what: "the retrospective's request",
        body: r#"{ "input": 1 }"#,
        status: 200,
        answer: Some(r#"{"input":1,"output":2}"#),
    },
    Check {
        what: "a decimal",
        body: r#"{"input": 1.5}"#,
        status: 200,
        answer: Some(r#"{"input":1.5,"output":2.5}"#),
    },
    Check {
        what: "an integer beyond 2^53, exact",
        body: r#"{"input": 9007199254740993}"#,
        status: 200,
        answer: Some(r#"{"input":9007199254740993,"output":9007199254740994}"#),
    },
    Check {
        what: "input as a string",
        body: r#"{"input": "1"}"#,
        status: 400,
        answer: None,
    },
    Check {
        what: "input missing",
        body: r#"{}"#,
        status: 400,
        answer: None,
    },
    Check {
        what: "an unknown field",
        body: r#"{"input": 1, "extra": true}"#,
        status: 400,
        answer: None,
    },
    Check {
        what: "null",
        body: "null",
        status: 400,
        answer: None,
    },
    Check {
        what: "an array",
        body: r#"[{"input": 1}]"#,
        status: 400,
        answer: None,
    },
    Check {
        what: "not JSON",
        body: "input=1",
        status: 400,
        answer: None,
    },
    Check {
        what: "an empty body",
        body: "",
        status: 400,
        answer: None,
    },
    Check {
        what: "a number beyond f64",
        body: r#"{"input": 1e400}"#,
        status: 400,
        answer: None,
    },
];
