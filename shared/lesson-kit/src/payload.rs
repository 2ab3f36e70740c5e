//! The lesson payload: `{ "input": <number> }`, and nothing else.
//!
//! Validation happens in layers, each with its own message, so a learner who
//! sends something wrong is told *what* is wrong and how to fix it:
//! bytes -> UTF-8 text -> one JSON value -> an object -> exactly the field
//! `input` -> a number that fits in an `f64`.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::number::{ExactNumber, NumberError};

/// The example every message points to.
const EXAMPLE: &str = r#"{"input": 1}"#;

/// A valid job: the body was exactly `{"input": <number>}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub input: ExactNumber,
}

/// What the lessons answer for a job: the input as sent and the input plus one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub input: ExactNumber,
    pub output: ExactNumber,
}

/// The kinds of JSON value, for messages such as "but it is a string".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
}

impl JsonKind {
    fn of(raw: &RawValue) -> JsonKind {
        match raw.get().trim_start().as_bytes().first() {
            Some(b'n') => JsonKind::Null,
            Some(b't' | b'f') => JsonKind::Boolean,
            Some(b'"') => JsonKind::String,
            Some(b'[') => JsonKind::Array,
            Some(b'{') => JsonKind::Object,
            _ => JsonKind::Number,
        }
    }
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::Null => "null",
            JsonKind::Boolean => "a boolean (true/false)",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        })
    }
}

/// Every way a body can fail to be `{"input": <number>}`. The `Display` text
/// is the message the client gets in `{"message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("The request body is empty. Send a JSON object such as {EXAMPLE}.")]
    Empty,
    #[error(
        "The request body is not UTF-8 text (invalid byte at position {valid_up_to}). Send a JSON object such as {EXAMPLE}."
    )]
    NotUtf8 { valid_up_to: usize },
    #[error("The request body is not valid JSON ({detail}). Send a JSON object such as {EXAMPLE}.")]
    InvalidJson { detail: String },
    #[error(
        "The request body has extra characters after the JSON value ({detail}). Send exactly one JSON object such as {EXAMPLE}."
    )]
    TrailingCharacters { detail: String },
    #[error("The request body must be a JSON object such as {EXAMPLE}, but it is {found}.")]
    NotAnObject { found: JsonKind },
    #[error("The field \"input\" is missing. Send a JSON object such as {EXAMPLE}.")]
    MissingInput,
    #[error("The field \"input\" appears more than once. Send it once, such as {EXAMPLE}.")]
    DuplicateInput,
    #[error("Unknown field \"{name}\": the body may only contain \"input\", such as {EXAMPLE}.")]
    UnknownField { name: String },
    #[error("\"input\" must be a number, but it is {found}.{hint}")]
    InputNotANumber { found: JsonKind, hint: &'static str },
    #[error("\"input\" {0}.")]
    BadNumber(NumberError),
}

impl PayloadError {
    /// The same reason, for a body that came from a queue message rather
    /// than an HTTP request: the worker's log says "the message body".
    pub fn as_message_body(&self) -> String {
        match self {
            PayloadError::Empty => "the message body is empty".to_owned(),
            PayloadError::NotUtf8 { valid_up_to } => {
                format!(
                    "the message body is not UTF-8 text (invalid byte at position {valid_up_to})"
                )
            }
            PayloadError::InvalidJson { detail } => {
                format!("the message body is not valid JSON ({detail})")
            }
            PayloadError::TrailingCharacters { detail } => {
                format!("the message body has extra characters after the JSON value ({detail})")
            }
            PayloadError::NotAnObject { found } => {
                format!(
                    r#"the message body must be a JSON object such as {{"input": 1}}, but it is {found}"#
                )
            }
            PayloadError::MissingInput => r#"the message body has no field "input""#.to_owned(),
            PayloadError::DuplicateInput => {
                r#"the message body has the field "input" more than once"#.to_owned()
            }
            PayloadError::UnknownField { name } => {
                format!(
                    r#"the message body has the unknown field "{name}" (only "input" is allowed)"#
                )
            }
            PayloadError::InputNotANumber { found, .. } => {
                format!(r#"the message body's "input" must be a number, but it is {found}"#)
            }
            PayloadError::BadNumber(e) => format!(r#"the message body's "input" {e}"#),
        }
    }
}

impl Job {
    /// Validates a request or message body.
    pub fn from_json_bytes(body: &[u8]) -> Result<Job, PayloadError> {
        let text = std::str::from_utf8(body).map_err(|e| PayloadError::NotUtf8 {
            valid_up_to: e.valid_up_to(),
        })?;
        Job::from_json_str(text)
    }

    /// Validates a body that is already text (an SQS message body, say).
    pub fn from_json_str(text: &str) -> Result<Job, PayloadError> {
        if text.trim().is_empty() {
            return Err(PayloadError::Empty);
        }
        let value: &RawValue = serde_json::from_str(text).map_err(json_error)?;
        let kind = JsonKind::of(value);
        if kind != JsonKind::Object {
            return Err(PayloadError::NotAnObject { found: kind });
        }
        let Fields(fields) = serde_json::from_str(value.get()).map_err(json_error)?;

        let mut input = None;
        for (name, value) in fields {
            if name != "input" {
                return Err(PayloadError::UnknownField {
                    name: shorten(&name),
                });
            }
            if input.replace(value).is_some() {
                return Err(PayloadError::DuplicateInput);
            }
        }
        let input = input.ok_or(PayloadError::MissingInput)?;
        match JsonKind::of(input) {
            JsonKind::Number => {}
            found => {
                let hint = match found {
                    JsonKind::String => " Write the number without quotes: {\"input\": 1}.",
                    _ => "",
                };
                return Err(PayloadError::InputNotANumber { found, hint });
            }
        }
        let input = ExactNumber::parse(input.get()).map_err(PayloadError::BadNumber)?;
        Ok(Job { input })
    }

    /// The lesson's work: the input plus one.
    pub fn answer(&self) -> Answer {
        Answer {
            input: self.input.clone(),
            output: self.input.plus_one(),
        }
    }

    /// The JSON text of this job, with the number exactly as sent.
    pub fn to_json(&self) -> String {
        format!(r#"{{"input":{}}}"#, self.input)
    }
}

impl Answer {
    pub fn to_json(&self) -> String {
        format!(r#"{{"input":{},"output":{}}}"#, self.input, self.output)
    }
}

fn json_error(e: serde_json::Error) -> PayloadError {
    let detail = e.to_string();
    if detail.starts_with("trailing characters") {
        PayloadError::TrailingCharacters { detail }
    } else {
        PayloadError::InvalidJson { detail }
    }
}

/// Field names are echoed in messages; a 1 MiB key must not be.
fn shorten(name: &str) -> String {
    const MAX: usize = 40;
    if name.chars().count() <= MAX {
        name.to_owned()
    } else {
        let mut short: String = name.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

/// An object's members in order, duplicates kept (a `HashMap` would silently
/// keep the last `input` of `{"input": 1, "input": "x"}`).
struct Fields<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((name, value));
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(body: &[u8]) -> PayloadError {
        Job::from_json_bytes(body).expect_err("must be refused")
    }

    #[test]
    fn the_retrospective_request_is_answered_with_input_plus_one() {
        let job = Job::from_json_bytes(br#"{ "input": 1 }"#).unwrap();
        assert_eq!(job.answer().to_json(), r#"{"input":1,"output":2}"#);
        assert_eq!(job.to_json(), r#"{"input":1}"#);
    }

    #[test]
    fn each_wrong_body_gets_its_own_error() {
        assert_eq!(error_of(b""), PayloadError::Empty);
        assert_eq!(error_of(b"  \n"), PayloadError::Empty);
        assert_eq!(
            error_of(b"\xff\xfe"),
            PayloadError::NotUtf8 { valid_up_to: 0 }
        );
        assert!(matches!(error_of(b"{"), PayloadError::InvalidJson { .. }));
        assert!(matches!(
            error_of(br#"{"input": 1} x"#),
            PayloadError::TrailingCharacters { .. }
        ));
        assert_eq!(
            error_of(b"[1]"),
            PayloadError::NotAnObject {
                found: JsonKind::Array
            }
        );
        assert_eq!(error_of(b"{}"), PayloadError::MissingInput);
        assert_eq!(
            error_of(br#"{"input": 1, "input": 2}"#),
            PayloadError::DuplicateInput
        );
        assert_eq!(
            error_of(br#"{"input": 1, "extra": 2}"#),
            PayloadError::UnknownField {
                name: "extra".into()
            }
        );
        for (body, found) in [
            (&br#"{"input": null}"#[..], JsonKind::Null),
            (br#"{"input": true}"#, JsonKind::Boolean),
            (br#"{"input": "1"}"#, JsonKind::String),
            (br#"{"input": [1]}"#, JsonKind::Array),
            (br#"{"input": {"n": 1}}"#, JsonKind::Object),
        ] {
            assert!(
                matches!(error_of(body), PayloadError::InputNotANumber { found: f, .. } if f == found),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            error_of(br#"{"input": 1e400}"#),
            PayloadError::BadNumber(NumberError::TooLarge)
        );
    }

    #[test]
    fn a_huge_unknown_key_is_not_echoed_whole() {
        let body = format!(r#"{{"{}": 1}}"#, "k".repeat(10_000));
        let message = error_of(body.as_bytes()).to_string();
        assert!(message.len() < 200, "{message}");
    }
}
