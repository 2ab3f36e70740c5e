//! Key condition expressions (DDB-DG "Querying tables in DynamoDB", "Key
//! condition expressions for query"): an equality on the partition key,
//! and perhaps one condition on the sort key (`=`, `<`, `<=`, `>`, `>=`,
//! `BETWEEN`, `begins_with`), joined by `AND`.
//!
//! DynamoDB parses them with the condition parser, then refuses what a key
//! condition cannot hold (Alternator `test_key_condition_expression.py`:
//! parentheses are fine, `OR`, `NOT`, `<>`, `IN` are refused with their own
//! errors). Messages from dynalite `query.js` and Alternator.

use super::super::error::{DynamoError, DynamoResult};
use super::super::value::AttributeValue;
use super::condition::{
    Operand, begins_with, check_between_bounds, check_function_name, compare, exactly,
    wrong_operand,
};
use super::parser::{CmpOp, Parser, Raw};
use super::path::{Elem, Path};
use super::{Context, Kind, check_text};

/// A parsed `KeyConditionExpression`.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCondition {
    /// The partition key's name and the value it must equal.
    pub partition: (String, AttributeValue),
    /// The condition on the sort key, if any.
    pub sort: Option<SortCondition>,
}

/// A condition on the sort key.
#[derive(Clone, Debug, PartialEq)]
pub enum SortCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl SortCondition {
    /// Whether a sort key value meets the condition (same-type order of
    /// strings, numbers and binaries; anything else does not match).
    pub fn matches(&self, value: &AttributeValue) -> bool {
        let cmp = |bound: &AttributeValue| compare(value, bound);
        match self {
            SortCondition::Eq(v) => value == v,
            SortCondition::Lt(v) => cmp(v).is_some_and(|o| o.is_lt()),
            SortCondition::Le(v) => cmp(v).is_some_and(|o| o.is_le()),
            SortCondition::Gt(v) => cmp(v).is_some_and(|o| o.is_gt()),
            SortCondition::Ge(v) => cmp(v).is_some_and(|o| o.is_ge()),
            SortCondition::Between(low, high) => {
                cmp(low).is_some_and(|o| o.is_ge()) && cmp(high).is_some_and(|o| o.is_le())
            }
            SortCondition::BeginsWith(prefix) => begins_with(value, prefix),
        }
    }
}

/// One condition on one key attribute, before we know which key it is.
enum Leaf {
    Cmp(CmpOp, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// Errors that are not about the expression's text carry no "Invalid
/// KeyConditionExpression: " prefix (dynalite `query.js`).
enum KeyError {
    Expression(String),
    Plain(String),
}

impl From<String> for KeyError {
    fn from(message: String) -> Self {
        KeyError::Expression(message)
    }
}

/// Parses a `KeyConditionExpression` for a table whose key schema is
/// `partition_key` and `sort_key`.
pub fn parse_key_condition(
    text: &str,
    ctx: &mut Context,
    partition_key: &str,
    sort_key: Option<&str>,
) -> DynamoResult<KeyCondition> {
    let kind = Kind::KeyCondition;
    check_text(kind, text)?;
    let raw = Parser::new(text).condition().map_err(|m| kind.error(m))?;
    let mut leaves = Vec::new();
    let to_error = |e: KeyError| match e {
        KeyError::Expression(m) => kind.error(m),
        KeyError::Plain(m) => DynamoError::validation(m),
    };
    collect(&raw, ctx, &mut leaves).map_err(to_error)?;
    let plain = |m: &str| DynamoError::validation(m);
    let mut partition = None;
    let mut sort = None;
    for (name, leaf) in leaves {
        if name != partition_key && Some(name.as_str()) != sort_key {
            // AWS names the key element it expected instead.
            let expected = if partition.is_none() {
                partition_key
            } else {
                sort_key.unwrap_or(partition_key)
            };
            return Err(DynamoError::validation(format!(
                "Query condition missed key schema element: {expected}"
            )));
        }
        let slot = if name == partition_key {
            &mut partition
        } else {
            &mut sort
        };
        if slot.is_some() {
            return Err(plain(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        *slot = Some(leaf);
    }
    let partition = match partition {
        Some(Leaf::Cmp(CmpOp::Eq, value)) => value,
        Some(_) => return Err(plain("Query key condition not supported")),
        None => {
            return Err(DynamoError::validation(format!(
                "Query condition missed key schema element: {partition_key}"
            )));
        }
    };
    let sort = sort.map(|leaf| match leaf {
        Leaf::Cmp(op, v) => match op {
            CmpOp::Eq | CmpOp::Ne => SortCondition::Eq(v),
            CmpOp::Lt => SortCondition::Lt(v),
            CmpOp::Le => SortCondition::Le(v),
            CmpOp::Gt => SortCondition::Gt(v),
            CmpOp::Ge => SortCondition::Ge(v),
        },
        Leaf::Between(low, high) => SortCondition::Between(low, high),
        Leaf::BeginsWith(prefix) => SortCondition::BeginsWith(prefix),
    });
    Ok(KeyCondition {
        partition: (partition_key.to_owned(), partition),
        sort,
    })
}

/// "Invalid operator used in KeyConditionExpression: OR".
fn invalid_operator(op: &str) -> KeyError {
    KeyError::Plain(format!(
        "Invalid operator used in KeyConditionExpression: {op}"
    ))
}

/// Collects the `AND`ed conditions as (key attribute, condition).
fn collect(raw: &Raw, ctx: &mut Context, out: &mut Vec<(String, Leaf)>) -> Result<(), KeyError> {
    match raw {
        Raw::And(a, b) => {
            collect(a, ctx, out)?;
            collect(b, ctx, out)
        }
        Raw::Or(..) => Err(invalid_operator("OR")),
        Raw::Not(..) => Err(invalid_operator("NOT")),
        Raw::In(..) => Err(invalid_operator("IN")),
        Raw::Cmp(CmpOp::Ne, ..) => Err(invalid_operator("<>")),
        Raw::Cmp(op, a, b) => {
            let (a, b) = (side(a, ctx)?, side(b, ctx)?);
            match (a, b) {
                (Side::Key(name), Side::Value(v)) => out.push((name, Leaf::Cmp(*op, v))),
                (Side::Value(v), Side::Key(name)) => out.push((name, Leaf::Cmp(op.flipped(), v))),
                (Side::Key(_), Side::Key(_)) => return Err(multiple_names()),
                (Side::Value(_), Side::Value(_)) => return Err(no_key()),
            }
            Ok(())
        }
        Raw::Between(a, low, high) => {
            let name = first_key("BETWEEN", side(a, ctx)?)?;
            let (low, high) = (value_side(low, ctx)?, value_side(high, ctx)?);
            check_between_bounds(&Operand::Value(low.clone()), &Operand::Value(high.clone()))?;
            out.push((name, Leaf::Between(low, high)));
            Ok(())
        }
        Raw::Call(name, args) => {
            check_function_name(name, Kind::KeyCondition)?;
            match name.as_str() {
                "begins_with" => {}
                "size" => {
                    return Err(KeyError::Plain(
                        "KeyConditionExpressions cannot contain nested operations".into(),
                    ));
                }
                other => return Err(invalid_operator(other)),
            }
            let sides = args
                .iter()
                .map(|a| side(a, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            let [first, second] = exactly(name, sides)?;
            let key = first_key(name, first)?;
            let prefix = match second {
                Side::Value(v) => v,
                Side::Key(_) => return Err(multiple_names()),
            };
            if !matches!(prefix, AttributeValue::S(_) | AttributeValue::B(_)) {
                return Err(wrong_operand(name, prefix.type_name()).into());
            }
            out.push((key, Leaf::BeginsWith(prefix)));
            Ok(())
        }
        Raw::Path(_) | Raw::Value(_) => Err(no_key()),
    }
}

/// One side of a key condition: a key attribute or a value.
enum Side {
    Key(String),
    Value(AttributeValue),
}

fn side(raw: &Raw, ctx: &mut Context) -> Result<Side, KeyError> {
    match raw {
        Raw::Path(p) => {
            let path = Path::resolve(p, ctx)?;
            match path.0.as_slice() {
                [Elem::Key(name)] => Ok(Side::Key(name.clone())),
                _ => Err(KeyError::Plain(
                    "KeyConditionExpressions cannot have conditions on nested attributes".into(),
                )),
            }
        }
        Raw::Value(v) => Ok(Side::Value(ctx.value(v)?)),
        Raw::Call(name, _) => {
            check_function_name(name, Kind::KeyCondition)?;
            Err(KeyError::Plain(
                "KeyConditionExpressions cannot contain nested operations".into(),
            ))
        }
        _ => Err(no_key()),
    }
}

fn value_side(raw: &Raw, ctx: &mut Context) -> Result<AttributeValue, KeyError> {
    match side(raw, ctx)? {
        Side::Value(v) => Ok(v),
        Side::Key(_) => Err(multiple_names()),
    }
}

/// BETWEEN and begins_with want the key first (dynalite `query.js`).
fn first_key(op: &str, side: Side) -> Result<String, KeyError> {
    match side {
        Side::Key(name) => Ok(name),
        Side::Value(_) => Err(KeyError::Plain(format!(
            "Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand"
        ))),
    }
}

fn multiple_names() -> KeyError {
    KeyError::Plain(
        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
            .into(),
    )
}

fn no_key() -> KeyError {
    KeyError::Plain(
        "Invalid condition in KeyConditionExpression: No key attribute specified".into(),
    )
}
