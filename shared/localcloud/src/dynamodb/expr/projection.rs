//! Projection expressions (DDB-DG "Using projection expressions in
//! DynamoDB"): the attributes, or parts of them, to return.

use std::collections::BTreeMap;

use super::super::error::DynamoResult;
use super::super::value::{AttributeValue, Item};
use super::parser::Parser;
use super::path::{Elem, Path, check_overlaps};
use super::{Check, Context, Kind, check_text};

/// A parsed `ProjectionExpression`.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// The paths as a tree; overlapping and conflicting paths are refused,
    /// so a node asks either for a whole value or for some of its members
    /// (names of a map, or indexes of a list, never both).
    tree: BTreeMap<Elem, Node>,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Whole,
    Part(BTreeMap<Elem, Node>),
}

/// Parses a `ProjectionExpression`: paths separated by commas; two paths
/// may not overlap or conflict (Alternator
/// `test_projection_expression_path_overlap`, `..._path_conflict`).
pub fn parse_projection(text: &str, ctx: &mut Context) -> DynamoResult<Projection> {
    let kind = Kind::Projection;
    check_text(kind, text)?;
    let raw = Parser::new(text).projection().map_err(|m| kind.error(m))?;
    let mut check = || -> Check<Projection> {
        let paths = raw
            .iter()
            .map(|p| Path::resolve(p, ctx))
            .collect::<Check<Vec<_>>>()?;
        check_overlaps(&paths.iter().collect::<Vec<_>>())?;
        let mut tree = BTreeMap::new();
        for path in paths {
            insert(&mut tree, &path.0);
        }
        Ok(Projection { tree })
    };
    check().map_err(|m| kind.error(m))
}

fn insert(tree: &mut BTreeMap<Elem, Node>, elems: &[Elem]) {
    let Some((first, rest)) = elems.split_first() else {
        return;
    };
    if rest.is_empty() {
        tree.insert(first.clone(), Node::Whole);
        return;
    }
    let node = tree
        .entry(first.clone())
        .or_insert_with(|| Node::Part(BTreeMap::new()));
    if let Node::Part(children) = node {
        insert(children, rest);
    }
}

impl Projection {
    /// The projection of paths that do not overlap (an update's, which
    /// [`super::parse_update`] has checked): what `UPDATED_OLD` and
    /// `UPDATED_NEW` return.
    pub(crate) fn of_paths<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Projection {
        let mut tree = BTreeMap::new();
        for path in paths {
            insert(&mut tree, &path.0);
        }
        Projection { tree }
    }

    /// The parts of `item` the projection names. A nested path keeps its
    /// structure (`a.b` gives `{a: {b: ...}}`); list elements keep their
    /// order and close up (`a[0], a[2]` gives a two-element list, Alternator
    /// `test_projection_expression_list_index`); what is missing is left
    /// out.
    pub fn apply(&self, item: &Item) -> Item {
        let mut out = Item::new();
        for (elem, node) in &self.tree {
            if let Elem::Key(name) = elem
                && let Some(value) = item.get(name).and_then(|v| project(v, node))
            {
                out.insert(name.clone(), value);
            }
        }
        out
    }
}

fn project(value: &AttributeValue, node: &Node) -> Option<AttributeValue> {
    let Node::Part(children) = node else {
        return Some(value.clone());
    };
    match value {
        AttributeValue::M(map) => {
            let mut out = BTreeMap::new();
            for (elem, child) in children {
                if let Elem::Key(name) = elem
                    && let Some(v) = map.get(name).and_then(|v| project(v, child))
                {
                    out.insert(name.clone(), v);
                }
            }
            (!out.is_empty()).then_some(AttributeValue::M(out))
        }
        AttributeValue::L(list) => {
            // BTreeMap order: indexes ascending.
            let out: Vec<AttributeValue> = children
                .iter()
                .filter_map(|(elem, child)| match elem {
                    Elem::Index(n) => list.get(*n).and_then(|v| project(v, child)),
                    Elem::Key(_) => None,
                })
                .collect();
            (!out.is_empty()).then_some(AttributeValue::L(out))
        }
        _ => None,
    }
}
