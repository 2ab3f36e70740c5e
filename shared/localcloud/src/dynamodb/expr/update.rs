//! Update expressions (DDB-DG "Update expressions"): `SET`, `REMOVE`,
//! `ADD` and `DELETE`.

use super::super::error::{DynamoError, DynamoResult};
use super::super::value::{AttributeValue, Item};
use super::condition::{check_function_name, exactly, wrong_operand};
use super::parser::{Parser, Raw, RawSetValue};
use super::path::{Path, check_overlaps, invalid_path};
use super::{Check, Context, Kind, check_text};

/// A parsed `UpdateExpression`.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    set: Vec<(Path, SetValue)>,
    remove: Vec<Path>,
    add: Vec<(Path, AttributeValue)>,
    delete: Vec<(Path, AttributeValue)>,
    /// Every path written, in the order written.
    written: Vec<Path>,
}

/// What `SET path = ...` writes.
#[derive(Clone, Debug, PartialEq)]
enum SetValue {
    One(Value),
    Plus(Value, Value),
    Minus(Value, Value),
}

/// An operand of `SET`.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Path(Path),
    Const(AttributeValue),
    /// `if_not_exists(path, value)`: the path's value, or else the value.
    IfNotExists(Path, Box<Value>),
    /// `list_append(a, b)`: the two lists one after the other.
    ListAppend(Box<Value>, Box<Value>),
}

/// Parses an `UpdateExpression`; errors start "Invalid UpdateExpression: ".
pub fn parse_update(text: &str, ctx: &mut Context) -> DynamoResult<Update> {
    let kind = Kind::Update;
    check_text(kind, text)?;
    let raw = Parser::new(text).update().map_err(|m| kind.error(m))?;
    let mut check = || -> Check<Update> {
        let mut update = Update {
            set: Vec::new(),
            remove: Vec::new(),
            add: Vec::new(),
            delete: Vec::new(),
            written: Vec::new(),
        };
        for (path, value) in &raw.set {
            let path = Path::resolve(path, ctx)?;
            let value = match value {
                RawSetValue::One(v) => SetValue::One(to_value(v, ctx)?),
                RawSetValue::Plus(a, b) => {
                    SetValue::Plus(number_operand(a, "+", ctx)?, number_operand(b, "+", ctx)?)
                }
                RawSetValue::Minus(a, b) => {
                    SetValue::Minus(number_operand(a, "-", ctx)?, number_operand(b, "-", ctx)?)
                }
            };
            update.written.push(path.clone());
            update.set.push((path, value));
        }
        for path in &raw.remove {
            let path = Path::resolve(path, ctx)?;
            update.written.push(path.clone());
            update.remove.push(path);
        }
        // ADD takes a number or a set, DELETE a set (DDB-DG "Update
        // expressions"; dynalite `updateItem.js`: "Incorrect operand type
        // for operator or function; operator: ADD, operand type: STRING").
        for (clause, actions, target) in [
            ("ADD", &raw.add, &mut update.add),
            ("DELETE", &raw.delete, &mut update.delete),
        ] {
            for (path, value) in actions {
                let path = Path::resolve(path, ctx)?;
                let value = ctx.value(value)?;
                let fits = match value {
                    AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => true,
                    AttributeValue::N(_) => clause == "ADD",
                    _ => false,
                };
                if !fits {
                    return Err(format!(
                        "Incorrect operand type for operator or function; operator: {clause}, operand type: {}",
                        value.type_word()
                    ));
                }
                update.written.push(path.clone());
                target.push((path, value));
            }
        }
        check_overlaps(&update.written.iter().collect::<Vec<_>>())?;
        Ok(update)
    };
    check().map_err(|m| kind.error(m))
}

/// A `SET` operand, its functions checked: `if_not_exists(path, value)`,
/// `list_append(list, list)` (DDB-DG "Update expressions"; Alternator
/// `test_update_expression_if_not_exists`, `..._list_append_basic`).
fn to_value(raw: &Raw, ctx: &mut Context) -> Check<Value> {
    match raw {
        Raw::Path(p) => Ok(Value::Path(Path::resolve(p, ctx)?)),
        Raw::Value(v) => Ok(Value::Const(ctx.value(v)?)),
        Raw::Call(name, args) => {
            check_function_name(name, Kind::Update)?;
            let args = args
                .iter()
                .map(|a| to_value(a, ctx))
                .collect::<Check<Vec<_>>>()?;
            let [first, second] = exactly(name, args)?;
            if name == "if_not_exists" {
                let Value::Path(path) = first else {
                    return Err(format!(
                        "Operator or function requires a document path; operator or function: {name}"
                    ));
                };
                return Ok(Value::IfNotExists(path, Box::new(second)));
            }
            for operand in [&first, &second] {
                if let Value::Const(v) = operand
                    && !matches!(v, AttributeValue::L(_))
                {
                    return Err(wrong_operand(name, v.type_name()));
                }
            }
            Ok(Value::ListAppend(Box::new(first), Box::new(second)))
        }
        // The parser hands over only paths, values and calls.
        _ => Err("Syntax error; token: \"<EOF>\", near: \"\"".into()),
    }
}

/// An operand of `+` or `-`: a request value must be a number
/// (Alternator `test_update_expression_plus_basic`: "operator or function:
/// +, operand type: S").
fn number_operand(raw: &Raw, op: &str, ctx: &mut Context) -> Check<Value> {
    let value = to_value(raw, ctx)?;
    if let Value::Const(v) = &value
        && !matches!(v, AttributeValue::N(_))
    {
        return Err(wrong_operand(op, v.type_name()));
    }
    Ok(value)
}

/// "The provided expression refers to an attribute that does not exist in
/// the item" (Alternator `test_update_expression_set_copy`), without an
/// "Invalid UpdateExpression: " prefix: it is an error of the item, not of
/// the expression (DDB-API TransactWriteItems lists it so, and applications
/// compare the message to these words).
fn missing_attribute() -> DynamoError {
    DynamoError::validation(
        "The provided expression refers to an attribute that does not exist in the item",
    )
}

/// "An operand in the update expression has an incorrect data type"
/// (Alternator `test_update_expression_add_numbers`): the item's value does
/// not fit ADD or DELETE.
fn incorrect_data_type() -> DynamoError {
    DynamoError::validation("An operand in the update expression has an incorrect data type")
}

impl Value {
    /// The operand's value, read from the item as it was.
    fn eval(&self, item: &Item) -> DynamoResult<AttributeValue> {
        match self {
            Value::Path(p) => p.get(item).cloned().ok_or_else(missing_attribute),
            Value::Const(v) => Ok(v.clone()),
            Value::IfNotExists(p, default) => match p.get(item) {
                Some(v) => Ok(v.clone()),
                None => default.eval(item),
            },
            Value::ListAppend(a, b) => match (a.eval(item)?, b.eval(item)?) {
                (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                    a.extend(b);
                    Ok(AttributeValue::L(a))
                }
                (AttributeValue::L(_), other) | (other, _) => {
                    Err(Kind::Update.error(wrong_operand("list_append", other.type_name())))
                }
            },
        }
    }
}

impl SetValue {
    fn eval(&self, item: &Item) -> DynamoResult<AttributeValue> {
        let (a, b, plus) = match self {
            SetValue::One(v) => return v.eval(item),
            SetValue::Plus(a, b) => (a, b, true),
            SetValue::Minus(a, b) => (a, b, false),
        };
        let op = if plus { "+" } else { "-" };
        match (a.eval(item)?, b.eval(item)?) {
            (AttributeValue::N(a), AttributeValue::N(b)) => Ok(AttributeValue::N(if plus {
                a.add(&b)?
            } else {
                a.sub(&b)?
            })),
            (AttributeValue::N(_), other) | (other, _) => {
                Err(Kind::Update.error(wrong_operand(op, other.type_name())))
            }
        }
    }
}

/// `existing ADD value`: a sum of numbers, or a union of sets of one type
/// (elements already there keep their place).
fn add(existing: &AttributeValue, value: &AttributeValue) -> DynamoResult<AttributeValue> {
    fn union<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
        let mut out = a.to_vec();
        out.extend(b.iter().filter(|x| !a.contains(x)).cloned());
        out
    }
    use AttributeValue as V;
    Ok(match (existing, value) {
        (V::N(a), V::N(b)) => V::N(a.add(b)?),
        (V::Ss(a), V::Ss(b)) => V::Ss(union(a, b)),
        (V::Ns(a), V::Ns(b)) => V::Ns(union(a, b)),
        (V::Bs(a), V::Bs(b)) => V::Bs(union(a, b)),
        _ => return Err(incorrect_data_type()),
    })
}

/// `existing DELETE value`: the set difference, `None` when nothing is
/// left (DynamoDB has no empty sets: the attribute goes, Alternator
/// `test_update_expression_delete_sets`).
fn delete(
    existing: &AttributeValue,
    value: &AttributeValue,
) -> DynamoResult<Option<AttributeValue>> {
    fn minus<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    }
    use AttributeValue as V;
    let left = match (existing, value) {
        (V::Ss(a), V::Ss(b)) => V::Ss(minus(a, b)),
        (V::Ns(a), V::Ns(b)) => V::Ns(minus(a, b)),
        (V::Bs(a), V::Bs(b)) => V::Bs(minus(a, b)),
        _ => return Err(incorrect_data_type()),
    };
    let empty = match &left {
        V::Ss(s) => s.is_empty(),
        V::Ns(s) => s.is_empty(),
        V::Bs(s) => s.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(left))
}

/// One change to make, computed from the item as it was.
enum Change<'u> {
    Set(&'u Path, AttributeValue),
    Remove(&'u Path),
}

impl Update {
    /// Applies to `item` (the existing item, or a new one holding just the
    /// key). Every operand is read from the item as it was before the
    /// update (Alternator `test_update_expression_multi_with_copy`:
    /// `REMOVE a SET b = a` copies the old `a`).
    ///
    /// `key_names`: the table's key attributes, which may not be changed
    /// ("Cannot update attribute id. This attribute is part of the key",
    /// Alternator `test_update_expression_cannot_modify_key`).
    ///
    /// On error the item may be partly updated: callers apply to a copy.
    pub fn apply(&self, item: &mut Item, key_names: &[&str]) -> DynamoResult<()> {
        if let Some(path) = self.written.iter().find(|p| key_names.contains(&p.top())) {
            return Err(DynamoError::invalid_parameter(format!(
                "Cannot update attribute {}. This attribute is part of the key",
                path.top()
            )));
        }
        // Everything is computed before anything is written.
        let mut changes = Vec::new();
        for (path, value) in &self.set {
            changes.push(Change::Set(path, value.eval(item)?));
        }
        for (path, value) in &self.add {
            let new = match path.get(item) {
                Some(existing) => add(existing, value)?,
                None if path.parent_exists(item) => value.clone(),
                None => return Err(invalid_path()),
            };
            changes.push(Change::Set(path, new));
        }
        for (path, value) in &self.delete {
            match path.get(item) {
                Some(existing) => match delete(existing, value)? {
                    Some(left) => changes.push(Change::Set(path, left)),
                    None => changes.push(Change::Remove(path)),
                },
                // Deleting from a missing set does nothing.
                None if path.parent_exists(item) => {}
                None => return Err(invalid_path()),
            }
        }
        for path in &self.remove {
            changes.push(Change::Remove(path));
        }
        // Writes go first, in path order (so `SET a[5] = :x, a[3] = :y`
        // past a list's end appends a[3]'s value first: DDB-DG "the
        // elements are sorted in order by element number"); removals go
        // last, highest index first, so list indexes mean what they meant
        // before the update (Alternator
        // `test_update_expression_nested_remove_list_item_original_number`).
        let (mut sets, mut removes): (Vec<_>, Vec<_>) = changes
            .into_iter()
            .partition(|c| matches!(c, Change::Set(..)));
        let path_of = |c: &Change| match c {
            Change::Set(p, _) | Change::Remove(p) => (*p).clone(),
        };
        sets.sort_by_key(path_of);
        removes.sort_by_key(|c| std::cmp::Reverse(path_of(c)));
        for change in sets.into_iter().chain(removes) {
            match change {
                Change::Set(path, value) => path.set(item, value)?,
                Change::Remove(path) => path.remove(item)?,
            }
        }
        Ok(())
    }

    /// The paths this update writes, as a projection: `ReturnValues`
    /// `UPDATED_OLD` and `UPDATED_NEW` return these parts of the item, a
    /// nested path inside its attribute (`SET a.b = :v` returns
    /// `{a: {b: ...}}`, not all of `a`: Alternator
    /// `test_update_item_returnvalues_nested`).
    pub fn updated(&self) -> super::Projection {
        super::Projection::of_paths(&self.written)
    }

    /// Whether the update only takes attributes away (REMOVE, DELETE):
    /// on an item that does not exist, such an update creates nothing
    /// (Alternator `test_update_item_non_existent`).
    pub fn only_removes(&self) -> bool {
        self.set.is_empty() && self.add.is_empty()
    }

    /// The top-level attribute names this update touches, each once, in
    /// the order written.
    pub fn updated_attributes(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for path in &self.written {
            if !names.iter().any(|n| n == path.top()) {
                names.push(path.top().to_owned());
            }
        }
        names
    }
}
