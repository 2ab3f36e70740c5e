//! Document paths (DDB-DG "Using expressions in DynamoDB", "Referring to
//! item attributes when using expressions"): a top-level attribute, then
//! `.name` for a map member and `[n]` for a list element, as in
//! `a.b[2].c`. A `#name` reference stands for one element, even if the name
//! holds a dot (`#a` = "a.b" is the top-level attribute "a.b").

use std::fmt;

use super::super::error::{DynamoError, DynamoResult};
use super::super::value::{AttributeValue, Item};
use super::parser::{RawElem, RawPath};
use super::reserved::is_reserved;
use super::{Check, Context, MAX_PATH_DEPTH};

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Elem {
    Key(String),
    Index(usize),
}

/// A resolved path: the first element is always a [`Elem::Key`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Path(pub Vec<Elem>);

impl fmt::Display for Path {
    /// AWS's form in errors: `[a, b, [2], c]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, elem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match elem {
                Elem::Key(k) => f.write_str(k)?,
                Elem::Index(n) => write!(f, "[{n}]")?,
            }
        }
        f.write_str("]")
    }
}

/// "The document path provided in the update expression is invalid for
/// update" (Alternator `test_nested_attribute_update_bad_path_dot`): a
/// path through something that is not a map or list, or does not exist.
pub(crate) fn invalid_path() -> DynamoError {
    DynamoError::validation(
        "The document path provided in the update expression is invalid for update",
    )
}

impl Path {
    /// Resolves a parsed path: `#name` references looked up, literal names
    /// checked against the reserved words (DDB-DG "Reserved words in
    /// DynamoDB"; AWS: "Attribute name is a reserved keyword; reserved
    /// keyword: status", the word as written), indexes within an `int`
    /// (Alternator `test_projection_expression_list_index`: "List index is
    /// not within the allowable range; index: [99999999999999]"), at most
    /// 32 levels.
    pub(crate) fn resolve(raw: &RawPath, ctx: &mut Context) -> Check<Path> {
        if raw.0.len() > MAX_PATH_DEPTH {
            return Err(format!(
                "The document path has too many nesting levels; nesting levels: {}",
                raw.0.len()
            ));
        }
        let mut elems = Vec::with_capacity(raw.0.len());
        for elem in &raw.0 {
            elems.push(match elem {
                RawElem::Name(name) => {
                    if is_reserved(name) {
                        return Err(format!(
                            "Attribute name is a reserved keyword; reserved keyword: {name}"
                        ));
                    }
                    Elem::Key(name.clone())
                }
                RawElem::Ref(reference) => Elem::Key(ctx.name(reference)?),
                RawElem::Index(digits) => match digits.parse::<i32>() {
                    Ok(n) if n >= 0 => Elem::Index(n as usize),
                    _ => {
                        return Err(format!(
                            "List index is not within the allowable range; index: [{digits}]"
                        ));
                    }
                },
            });
        }
        Ok(Path(elems))
    }

    /// The top-level attribute's name.
    pub(crate) fn top(&self) -> &str {
        match self.0.first() {
            Some(Elem::Key(k)) => k,
            _ => "",
        }
    }

    /// The value at this path, if there is one.
    pub(crate) fn get<'i>(&self, item: &'i Item) -> Option<&'i AttributeValue> {
        let (first, rest) = self.0.split_first()?;
        let Elem::Key(top) = first else { return None };
        let mut value = item.get(top)?;
        for elem in rest {
            value = step(value, elem)?;
        }
        Some(value)
    }

    /// The parent of the last element, for writing: `None` when the path
    /// has a single element (the parent is the item itself).
    fn parent_mut<'i>(&self, item: &'i mut Item) -> DynamoResult<Option<&'i mut AttributeValue>> {
        let Some((first, rest)) = self.0.split_first() else {
            return Err(invalid_path());
        };
        if rest.is_empty() {
            return Ok(None);
        }
        let Elem::Key(top) = first else {
            return Err(invalid_path());
        };
        let mut value = item.get_mut(top).ok_or_else(invalid_path)?;
        for elem in &rest[..rest.len() - 1] {
            value = step_mut(value, elem).ok_or_else(invalid_path)?;
        }
        Ok(Some(value))
    }

    fn last(&self) -> Option<&Elem> {
        self.0.last()
    }

    /// Writes `value` at this path (DDB-DG "Update expressions", SET: "If
    /// the element does not already exist, SET will append the new element
    /// at the end of the list"). The parent must exist and be a map (for a
    /// name) or a list (for an index).
    pub(crate) fn set(&self, item: &mut Item, value: AttributeValue) -> DynamoResult<()> {
        let last = self.last().cloned();
        match (self.parent_mut(item)?, last) {
            (None, Some(Elem::Key(name))) => {
                item.insert(name, value);
            }
            (Some(AttributeValue::M(map)), Some(Elem::Key(name))) => {
                map.insert(name, value);
            }
            (Some(AttributeValue::L(list)), Some(Elem::Index(n))) => {
                if let Some(slot) = list.get_mut(n) {
                    *slot = value;
                } else {
                    list.push(value);
                }
            }
            _ => return Err(invalid_path()),
        }
        Ok(())
    }

    /// Removes what is at this path; nothing happens if the last element
    /// is missing (Alternator `test_nested_attribute_remove_missing_leaf`),
    /// but the parent must exist with the right type.
    pub(crate) fn remove(&self, item: &mut Item) -> DynamoResult<()> {
        let last = self.last().cloned();
        match (self.parent_mut(item)?, last) {
            (None, Some(Elem::Key(name))) => {
                item.remove(&name);
            }
            (Some(AttributeValue::M(map)), Some(Elem::Key(name))) => {
                map.remove(&name);
            }
            (Some(AttributeValue::L(list)), Some(Elem::Index(n))) => {
                if n < list.len() {
                    list.remove(n);
                }
            }
            _ => return Err(invalid_path()),
        }
        Ok(())
    }

    /// Whether the parent of this path's last element exists with the
    /// right type (what ADD needs before creating an attribute).
    pub(crate) fn parent_exists(&self, item: &Item) -> bool {
        let Some((last, init)) = self.0.split_last() else {
            return false;
        };
        if init.is_empty() {
            return true;
        }
        let parent = Path(init.to_vec());
        matches!(
            (parent.get(item), last),
            (Some(AttributeValue::M(_)), Elem::Key(_))
                | (Some(AttributeValue::L(_)), Elem::Index(_))
        )
    }
}

fn step<'v>(value: &'v AttributeValue, elem: &Elem) -> Option<&'v AttributeValue> {
    match (value, elem) {
        (AttributeValue::M(map), Elem::Key(k)) => map.get(k),
        (AttributeValue::L(list), Elem::Index(n)) => list.get(*n),
        _ => None,
    }
}

fn step_mut<'v>(value: &'v mut AttributeValue, elem: &Elem) -> Option<&'v mut AttributeValue> {
    match (value, elem) {
        (AttributeValue::M(map), Elem::Key(k)) => map.get_mut(k),
        (AttributeValue::L(list), Elem::Index(n)) => list.get_mut(*n),
        _ => None,
    }
}

/// Refuses two paths where one contains the other ("Two document paths
/// overlap with each other; must remove or rewrite one of these paths;
/// path one: [a], path two: [a, b]") or where one uses a name and the other
/// an index at the same place ("Two document paths conflict with each
/// other; ...; path one: [a, b], path two: [a, [1]]"). Alternator
/// `test_update_expression_multi_overlap_nested`,
/// `test_projection_expression_path_conflict`; dynalite `updateItem.js`.
pub(crate) fn check_overlaps(paths: &[&Path]) -> Check<()> {
    for (i, one) in paths.iter().enumerate() {
        for two in &paths[i + 1..] {
            let common = one.0.iter().zip(&two.0).take_while(|(a, b)| a == b).count();
            let diverge = (one.0.get(common), two.0.get(common));
            let problem = match diverge {
                (None, _) | (_, None) => "overlap",
                (Some(Elem::Key(_)), Some(Elem::Index(_)))
                | (Some(Elem::Index(_)), Some(Elem::Key(_))) => "conflict",
                _ => continue,
            };
            return Err(format!(
                "Two document paths {problem} with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
            ));
        }
    }
    Ok(())
}
