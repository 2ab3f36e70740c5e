//! DynamoDB's expression language (DDB-DG "Using expressions in
//! DynamoDB"): condition and filter expressions, update expressions,
//! projection expressions and key condition expressions, with document
//! paths (`a.b[2].c`), `#name` and `:value` references, the reserved words
//! and AWS's error messages.
//!
//! Every expression is handled in two steps, as DynamoDB does: the text is
//! parsed into a raw tree (syntax errors come first: `Syntax error; token:
//! "<token>", near: "<context>"`), then the tree is checked and resolved
//! against `ExpressionAttributeNames` / `ExpressionAttributeValues`
//! (undefined references, reserved words, unknown functions, operand types
//! known before reading the item).
//!
//! Where the facts come from: AWS's Developer Guide (pages named in each
//! rule's comment, "DDB-DG"), and test suites that run against DynamoDB
//! itself: ScyllaDB Alternator's `test/alternator/test_*_expression.py`,
//! `test_limits.py`, and dynalite's `test/*.js`, which record AWS's exact
//! messages.
//!
//! Nothing here panics on user input: the text is at most 4 KB, nesting is
//! bounded ([`MAX_DEPTH`]) and every operator is counted ([`MAX_OPERATORS`]).

mod condition;
mod key;
mod lexer;
mod parser;
mod path;
mod projection;
mod reserved;
mod update;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use super::error::{DynamoError, DynamoResult};
use super::value::AttributeValue;

pub use condition::{Condition, parse_condition, parse_filter};
pub use key::{KeyCondition, SortCondition, parse_key_condition};
pub use projection::{Projection, parse_projection};
pub use update::{Update, parse_update};

/// The longest expression, in bytes (DDB-DG "Service, account, and table
/// quotas", "Expression parameters": "The maximum length of any expression
/// string is 4 KB"; Alternator `test_limits.py::test_limit_expression_len`:
/// 4096 is accepted, 4097 refused).
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// The most operators and functions an expression may hold (DDB-DG quotas:
/// "The maximum number of operators or functions allowed in any expression
/// is 300"; AWS says "The expression contains too many operators; operator
/// count: 301", Alternator `test_limits.py`).
pub const MAX_OPERATORS: usize = 300;

/// The deepest document path, counting the top-level attribute (DDB-DG
/// quotas, "Nested attribute depth": 32; AWS says "The document path has
/// too many nesting levels; nesting levels: 33", Alternator
/// `test_projection_expression.py`).
pub const MAX_PATH_DEPTH: usize = 32;

/// How deeply parentheses, `NOT`s and function calls may nest. localcloud's
/// own guard against deep recursion: a valid expression cannot nest deeper
/// than its 300 operators anyway (AWS refuses doubled parentheses), so
/// nothing AWS accepts is refused.
pub const MAX_DEPTH: usize = 200;

/// The most operands `IN` takes, counting the one before `IN` (DDB-DG
/// quotas: "Maximum number of operands for the IN comparator: 100").
pub const MAX_IN_OPERANDS: usize = 100;

/// Which expression is parsed: it names the expression in errors
/// (`Invalid ConditionExpression: ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Condition,
    Filter,
    Update,
    Projection,
    KeyCondition,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::Update => "UpdateExpression",
            Kind::Projection => "ProjectionExpression",
            Kind::KeyCondition => "KeyConditionExpression",
        }
    }

    /// `Invalid <Kind>Expression: <message>`.
    pub(crate) fn error(self, message: impl std::fmt::Display) -> DynamoError {
        DynamoError::validation(format!("Invalid {}: {message}", self.name()))
    }
}

/// A check failed; the message still lacks its `Invalid XExpression: `
/// prefix, which the public entry points add.
pub(crate) type Check<T> = Result<T, String>;

/// Names and values given with the request; records which ones the
/// expressions used.
pub struct Context<'a> {
    names: &'a BTreeMap<String, String>,
    values: &'a BTreeMap<String, AttributeValue>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl<'a> Context<'a> {
    pub fn new(
        names: &'a BTreeMap<String, String>,
        values: &'a BTreeMap<String, AttributeValue>,
    ) -> Self {
        Self {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// After parsing all the request's expressions: AWS's errors for names
    /// or values given but used by none of them (dynalite's tests record
    /// AWS checking the names first: "Value provided in
    /// ExpressionAttributeNames unused in expressions: keys: {#b}").
    pub fn check_all_used(&self) -> DynamoResult<()> {
        let unused = |given: Vec<&String>, used: &BTreeSet<String>| -> Vec<String> {
            given
                .into_iter()
                .filter(|k| !used.contains(*k))
                .cloned()
                .collect()
        };
        let names = unused(self.names.keys().collect(), &self.used_names);
        if !names.is_empty() {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                names.join(", ")
            )));
        }
        let values = unused(self.values.keys().collect(), &self.used_values);
        if !values.is_empty() {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                values.join(", ")
            )));
        }
        Ok(())
    }

    /// The attribute name a `#name` stands for.
    pub(crate) fn name(&mut self, reference: &str) -> Check<String> {
        match self.names.get(reference) {
            Some(name) => {
                self.used_names.insert(reference.to_owned());
                Ok(name.clone())
            }
            None => Err(format!(
                "An expression attribute name used in the document path is not defined; attribute name: {reference}"
            )),
        }
    }

    /// The value a `:value` stands for.
    pub(crate) fn value(&mut self, reference: &str) -> Check<AttributeValue> {
        match self.values.get(reference) {
            Some(value) => {
                self.used_values.insert(reference.to_owned());
                Ok(value.clone())
            }
            None => Err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {reference}"
            )),
        }
    }
}

/// The checks every expression's text gets first: not empty (dynalite:
/// "The expression can not be empty;"), at most 4 KB (Alternator
/// `test_limits.py`: "Expression size has exceeded the maximum allowed
/// size; expression size: 200004").
pub(crate) fn check_text(kind: Kind, text: &str) -> DynamoResult<()> {
    if text.is_empty() {
        return Err(kind.error("The expression can not be empty;"));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(kind.error(format!(
            "Expression size has exceeded the maximum allowed size; expression size: {}",
            text.len()
        )));
    }
    Ok(())
}
