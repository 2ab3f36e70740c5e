//! Condition and filter expressions: checking and evaluation (DDB-DG
//! "Condition and filter expressions, operators, and functions").

use std::borrow::Cow;
use std::cmp::Ordering;

use super::super::error::DynamoResult;
use super::super::value::{AttributeValue, Item, Number};
use super::parser::{CmpOp, Parser, Raw};
use super::path::Path;
use super::{Check, Context, Kind, check_text};

/// A parsed `ConditionExpression` or `FilterExpression`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    cond: Cond,
}

/// An operand: a path into the item, a value from the request, or the
/// size of either.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Box<Operand>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    Compare(CmpOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Exists(Path),
    NotExists(Path),
    Type(Operand, String),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// Parses a `ConditionExpression`; errors start "Invalid
/// ConditionExpression: ".
pub fn parse_condition(text: &str, ctx: &mut Context) -> DynamoResult<Condition> {
    parse_as(Kind::Condition, text, ctx)
}

/// Parses a `FilterExpression` (same language; errors start "Invalid
/// FilterExpression: ", as Alternator's `test_filter_expression.py`
/// records).
pub fn parse_filter(text: &str, ctx: &mut Context) -> DynamoResult<Condition> {
    parse_as(Kind::Filter, text, ctx)
}

fn parse_as(kind: Kind, text: &str, ctx: &mut Context) -> DynamoResult<Condition> {
    check_text(kind, text)?;
    let raw = Parser::new(text).condition().map_err(|m| kind.error(m))?;
    let cond = to_cond(&raw, ctx).map_err(|m| kind.error(m))?;
    Ok(Condition { cond })
}

impl Condition {
    /// Evaluates the condition on `item` (`None`: there is no item, so
    /// `attribute_not_exists(x)` holds and comparisons do not).
    pub fn eval(&self, item: Option<&Item>) -> DynamoResult<bool> {
        Ok(self.cond.eval(item))
    }
}

/// The functions of conditions (DDB-DG "Functions"); `size` is the one
/// that gives an operand rather than a condition.
const CONDITION_FUNCTIONS: [&str; 6] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];

/// The functions of update expressions (DDB-DG "Update expressions").
pub(crate) const UPDATE_FUNCTIONS: [&str; 2] = ["if_not_exists", "list_append"];

/// The ten type names `attribute_type` accepts (DDB-DG "attribute_type").
const TYPE_NAMES: [&str; 10] = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

/// Function names are case-sensitive; one no expression knows is "Invalid
/// function name; function: dog"; an update function in a condition is
/// "The function is not allowed in a condition expression; function:
/// if_not_exists" (Alternator `test_update_condition_other_funcs`, dynalite
/// `scan.js`).
pub(crate) fn check_function_name(name: &str, kind: Kind) -> Check<()> {
    let in_condition = CONDITION_FUNCTIONS.contains(&name);
    let in_update = UPDATE_FUNCTIONS.contains(&name);
    if !in_condition && !in_update {
        return Err(format!("Invalid function name; function: {name}"));
    }
    match kind {
        Kind::Update if !in_update => Err(format!(
            "The function is not allowed in an update expression; function: {name}"
        )),
        Kind::Update => Ok(()),
        _ if !in_condition => Err(format!(
            "The function is not allowed in a condition expression; function: {name}"
        )),
        _ => Ok(()),
    }
}

/// "Incorrect number of operands for operator or function; operator or
/// function: size, number of operands: 2" (dynalite `scan.js`).
pub(crate) fn arity_error(name: &str, args: usize) -> String {
    format!(
        "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {args}"
    )
}

/// The arguments of a function taking exactly `N` of them.
pub(crate) fn exactly<const N: usize, T>(name: &str, args: Vec<T>) -> Check<[T; N]> {
    let count = args.len();
    <[T; N]>::try_from(args).map_err(|_| arity_error(name, count))
}

/// "Incorrect operand type for operator or function; operator or function:
/// begins_with, operand type: N" (dynalite `scan.js`: the short type name).
pub(crate) fn wrong_operand(name: &str, type_name: &str) -> String {
    format!(
        "Incorrect operand type for operator or function; operator or function: {name}, operand type: {type_name}"
    )
}

/// The type of an operand known before reading the item: a value's, or N
/// for `size(...)`.
fn known_type(operand: &Operand) -> Option<&'static str> {
    match operand {
        Operand::Path(_) => None,
        Operand::Value(v) => Some(v.type_name()),
        Operand::Size(_) => Some("N"),
    }
}

/// "Operator or function requires a document path; operator or function:
/// attribute_exists" (Alternator `test_update_condition_attribute_exists`).
fn require_path(name: &str, operand: Operand) -> Check<Path> {
    match operand {
        Operand::Path(p) => Ok(p),
        _ => Err(format!(
            "Operator or function requires a document path; operator or function: {name}"
        )),
    }
}

/// AWS refuses an operator whose first operand is a path repeated among the
/// others (`a = a`, `contains(a, #a)`): "The first operand must be distinct
/// from the remaining operands for this operator or function; operator: =,
/// first operand: [a]" (dynalite `scan.js`; two equal values are fine).
fn check_distinct(op: &str, first: &Operand, rest: &[&Operand]) -> Check<()> {
    if let Operand::Path(p) = first
        && rest.iter().any(|o| matches!(o, Operand::Path(q) if q == p))
    {
        return Err(format!(
            "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {p}"
        ));
    }
    Ok(())
}

/// A value as AWS shows it in BETWEEN's errors: `AttributeValue: {N:10}`.
fn show(value: &AttributeValue) -> String {
    let body = match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null => "true".into(),
        other => other.to_json().to_string(),
    };
    format!("AttributeValue: {{{}:{body}}}", value.type_name())
}

/// Constant bounds of BETWEEN must have one type and be in order (dynalite
/// `scan.js`; Alternator `test_filter_expression_num_between_reverse`).
pub(crate) fn check_between_bounds(low: &Operand, high: &Operand) -> Check<()> {
    let (Operand::Value(lo), Operand::Value(hi)) = (low, high) else {
        return Ok(());
    };
    if lo.type_name() != hi.type_name() {
        return Err(format!(
            "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: {}, upper bound operand: {}",
            show(lo),
            show(hi)
        ));
    }
    if compare(lo, hi) == Some(Ordering::Greater) {
        return Err(format!(
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: {}, upper bound operand: {}",
            show(lo),
            show(hi)
        ));
    }
    Ok(())
}

/// Checks a raw condition and resolves its names and values.
pub(crate) fn to_cond(raw: &Raw, ctx: &mut Context) -> Check<Cond> {
    Ok(match raw {
        Raw::And(a, b) => Cond::And(Box::new(to_cond(a, ctx)?), Box::new(to_cond(b, ctx)?)),
        Raw::Or(a, b) => Cond::Or(Box::new(to_cond(a, ctx)?), Box::new(to_cond(b, ctx)?)),
        Raw::Not(a) => Cond::Not(Box::new(to_cond(a, ctx)?)),
        Raw::Cmp(op, a, b) => {
            let (a, b) = (to_operand(a, ctx)?, to_operand(b, ctx)?);
            check_distinct(op.symbol(), &a, &[&b])?;
            Cond::Compare(*op, a, b)
        }
        Raw::Between(a, low, high) => {
            let a = to_operand(a, ctx)?;
            let (low, high) = (to_operand(low, ctx)?, to_operand(high, ctx)?);
            check_distinct("BETWEEN", &a, &[&low, &high])?;
            check_between_bounds(&low, &high)?;
            Cond::Between(a, low, high)
        }
        Raw::In(a, list) => {
            let a = to_operand(a, ctx)?;
            let list = list
                .iter()
                .map(|o| to_operand(o, ctx))
                .collect::<Check<Vec<_>>>()?;
            check_distinct("IN", &a, &list.iter().collect::<Vec<_>>())?;
            Cond::In(a, list)
        }
        Raw::Call(name, args) => function(name, args, ctx)?,
        // The parser only hands over conditions.
        Raw::Path(_) | Raw::Value(_) => {
            return Err("Syntax error; token: \"<EOF>\", near: \"\"".into());
        }
    })
}

/// A function used as a condition.
fn function(name: &str, args: &[Raw], ctx: &mut Context) -> Check<Cond> {
    check_function_name(name, Kind::Condition)?;
    if name == "size" {
        // Alternator `test_update_condition_size_alone`.
        return Err(format!(
            "The function is not allowed to be used this way in an expression; function: {name}"
        ));
    }
    let args = args
        .iter()
        .map(|a| to_operand(a, ctx))
        .collect::<Check<Vec<_>>>()?;
    if name == "attribute_exists" || name == "attribute_not_exists" {
        let [first] = exactly(name, args)?;
        let path = require_path(name, first)?;
        return Ok(if name == "attribute_exists" {
            Cond::Exists(path)
        } else {
            Cond::NotExists(path)
        });
    }
    let [first, second] = exactly(name, args)?;
    Ok(match name {
        "attribute_type" => {
            check_distinct(name, &first, &[&second])?;
            // The type must come from the request, as a string naming one
            // of the ten types (Alternator
            // `test_update_condition_attribute_type_second_arg`,
            // `..._unknown`; dynalite `scan.js`).
            let wanted = match second {
                Operand::Value(AttributeValue::S(t)) => t,
                Operand::Path(_) => {
                    // localcloud's wording: AWS refuses it, message unknown.
                    return Err(format!(
                        "Operator or function requires an expression attribute value; operator or function: {name}"
                    ));
                }
                other => return Err(wrong_operand(name, known_type(&other).unwrap_or("N"))),
            };
            if !TYPE_NAMES.contains(&wanted.as_str()) {
                return Err(format!(
                    "Invalid attribute type name found; type: {wanted}, valid types: {{{}}}",
                    TYPE_NAMES.join(",")
                ));
            }
            Cond::Type(first, wanted)
        }
        "begins_with" => {
            // Values from the request must be strings or binaries
            // (Alternator `test_update_condition_begins_with`); values from
            // the item just fail the condition.
            for operand in [&first, &second] {
                if let Some(t) = known_type(operand)
                    && t != "S"
                    && t != "B"
                {
                    return Err(wrong_operand(name, t));
                }
            }
            check_distinct(name, &first, &[&second])?;
            Cond::BeginsWith(first, second)
        }
        _ => {
            check_distinct(name, &first, &[&second])?;
            Cond::Contains(first, second)
        }
    })
}

/// Checks a raw operand and resolves its names and values.
pub(crate) fn to_operand(raw: &Raw, ctx: &mut Context) -> Check<Operand> {
    match raw {
        Raw::Path(p) => Ok(Operand::Path(Path::resolve(p, ctx)?)),
        Raw::Value(v) => Ok(Operand::Value(ctx.value(v)?)),
        Raw::Call(name, args) => {
            check_function_name(name, Kind::Condition)?;
            if name != "size" {
                // Alternator `test_update_condition_attribute_exists_in_comparison`.
                return Err(format!(
                    "The function is not allowed to be used this way in an expression; function: {name}"
                ));
            }
            let args = args
                .iter()
                .map(|a| to_operand(a, ctx))
                .collect::<Check<Vec<_>>>()?;
            let [arg] = exactly(name, args)?;
            // size() of a request value without a size is refused up front
            // (Alternator `test_update_condition_size_parameter`: "operator
            // or function: size, operand type: N").
            if let Some(t) = known_type(&arg)
                && matches!(t, "N" | "BOOL" | "NULL")
            {
                return Err(wrong_operand(name, t));
            }
            Ok(Operand::Size(Box::new(arg)))
        }
        // The parser only hands over operands here.
        _ => Err("Syntax error; token: \"<EOF>\", near: \"\"".into()),
    }
}

/// The size `size()` gives (DDB-DG "size"): a string's or binary's length
/// in bytes, a set's, list's or map's number of elements; numbers,
/// booleans and nulls have none (the condition is then false, Alternator
/// `test_update_condition_size`).
fn size_of(value: &AttributeValue) -> Option<usize> {
    Some(match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => return None,
    })
}

/// DynamoDB's order (DDB-DG "Comparison operator and function reference"):
/// only between two strings (UTF-8 bytes), two numbers, or two binaries
/// (unsigned bytes, Alternator `test_condition_expression_unsigned_bytes`).
/// Anything else is unordered, so `<`, `BETWEEN`... are false.
pub(crate) fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (AttributeValue::N(a), AttributeValue::N(b)) => Some(a.cmp(b)),
        (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// `begins_with` on two strings or two binaries.
pub(crate) fn begins_with(value: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (value, prefix) {
        (AttributeValue::S(v), AttributeValue::S(p)) => v.starts_with(p.as_str()),
        (AttributeValue::B(v), AttributeValue::B(p)) => v.starts_with(p),
        _ => false,
    }
}

/// `contains` (DDB-DG "contains", Alternator
/// `test_update_condition_contains`): a substring of a string, a
/// sub-sequence of a binary, an element of a set of the same type or of a
/// list.
fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (haystack, needle) {
        (V::S(h), V::S(n)) => h.contains(n.as_str()),
        (V::B(h), V::B(n)) => n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice()),
        (V::Ss(h), V::S(n)) => h.contains(n),
        (V::Ns(h), V::N(n)) => h.contains(n),
        (V::Bs(h), V::B(n)) => h.contains(n),
        (V::L(h), n) => h.contains(n),
        _ => false,
    }
}

impl Operand {
    /// The operand's value on `item`, if it has one.
    pub(crate) fn value<'a>(&'a self, item: Option<&'a Item>) -> Option<Cow<'a, AttributeValue>> {
        match self {
            Operand::Path(p) => item.and_then(|i| p.get(i)).map(Cow::Borrowed),
            Operand::Value(v) => Some(Cow::Borrowed(v)),
            Operand::Size(inner) => {
                let size = size_of(inner.value(item)?.as_ref())?;
                Some(Cow::Owned(AttributeValue::N(Number::from_i64(
                    i64::try_from(size).unwrap_or(i64::MAX),
                ))))
            }
        }
    }
}

impl Cond {
    fn eval(&self, item: Option<&Item>) -> bool {
        match self {
            Cond::Compare(op, a, b) => {
                let (a, b) = (a.value(item), b.value(item));
                match (op, a, b) {
                    // A missing operand equals nothing, and differs from
                    // everything, even another missing one (Alternator
                    // `test_update_condition_ne_two_unset`).
                    (CmpOp::Eq, Some(a), Some(b)) => a == b,
                    (CmpOp::Eq, _, _) => false,
                    (CmpOp::Ne, Some(a), Some(b)) => a != b,
                    (CmpOp::Ne, _, _) => true,
                    (op, Some(a), Some(b)) => match compare(&a, &b) {
                        Some(o) => match op {
                            CmpOp::Lt => o.is_lt(),
                            CmpOp::Le => o.is_le(),
                            CmpOp::Gt => o.is_gt(),
                            _ => o.is_ge(),
                        },
                        None => false,
                    },
                    _ => false,
                }
            }
            Cond::Between(a, low, high) => {
                let (Some(a), Some(low), Some(high)) =
                    (a.value(item), low.value(item), high.value(item))
                else {
                    return false;
                };
                compare(&a, &low).is_some_and(Ordering::is_ge)
                    && compare(&a, &high).is_some_and(Ordering::is_le)
            }
            Cond::In(a, list) => {
                let Some(a) = a.value(item) else { return false };
                list.iter().any(|o| o.value(item).is_some_and(|v| v == a))
            }
            Cond::And(a, b) => a.eval(item) && b.eval(item),
            Cond::Or(a, b) => a.eval(item) || b.eval(item),
            Cond::Not(a) => !a.eval(item),
            Cond::Exists(p) => item.and_then(|i| p.get(i)).is_some(),
            Cond::NotExists(p) => item.and_then(|i| p.get(i)).is_none(),
            Cond::Type(a, t) => a.value(item).is_some_and(|v| v.type_name() == t),
            Cond::BeginsWith(a, b) => match (a.value(item), b.value(item)) {
                (Some(a), Some(b)) => begins_with(&a, &b),
                _ => false,
            },
            Cond::Contains(a, b) => match (a.value(item), b.value(item)) {
                (Some(a), Some(b)) => contains(&a, &b),
                _ => false,
            },
        }
    }
}
