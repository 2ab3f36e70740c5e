//! STUB: replaced by the real expression module.
#![allow(unused)]
use super::error::{DynamoError, DynamoResult};
use super::value::{AttributeValue, Item};
use std::collections::BTreeMap;

pub struct Context<'a> {
    names: &'a BTreeMap<String, String>,
    values: &'a BTreeMap<String, AttributeValue>,
}
impl<'a> Context<'a> {
    pub fn new(
        names: &'a BTreeMap<String, String>,
        values: &'a BTreeMap<String, AttributeValue>,
    ) -> Self {
        Self { names, values }
    }
    pub fn check_all_used(&self) -> DynamoResult<()> {
        Ok(())
    }
}
pub struct Condition;
pub fn parse_condition(text: &str, ctx: &mut Context) -> DynamoResult<Condition> {
    Err(DynamoError::validation("stub"))
}
impl Condition {
    pub fn eval(&self, item: Option<&Item>) -> DynamoResult<bool> {
        Ok(true)
    }
}
pub struct Update;
pub fn parse_update(text: &str, ctx: &mut Context) -> DynamoResult<Update> {
    Err(DynamoError::validation("stub"))
}
impl Update {
    pub fn apply(&self, item: &mut Item, key_names: &[&str]) -> DynamoResult<()> {
        Ok(())
    }
    pub fn updated_attributes(&self) -> Vec<String> {
        vec![]
    }
}
pub struct Projection;
pub fn parse_projection(text: &str, ctx: &mut Context) -> DynamoResult<Projection> {
    Err(DynamoError::validation("stub"))
}
impl Projection {
    pub fn apply(&self, item: &Item) -> Item {
        item.clone()
    }
}
pub struct KeyCondition {
    pub partition: (String, AttributeValue),
    pub sort: Option<SortCondition>,
}
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
    pub fn matches(&self, value: &AttributeValue) -> bool {
        true
    }
}
pub fn parse_key_condition(
    text: &str,
    ctx: &mut Context,
    partition_key: &str,
    sort_key: Option<&str>,
) -> DynamoResult<KeyCondition> {
    Err(DynamoError::validation("stub"))
}
