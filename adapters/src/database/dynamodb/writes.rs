//! The expressions and transaction items the repositories write with.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use darkroom_core::ports::DbError;

use super::errors::built;
use super::keys::Item;
use super::DynamoDatabase;

/// The condition every insert carries: the key is free.
pub(super) const ABSENT: &str = "attribute_not_exists(pk)";
pub(super) const PRESENT: &str = "attribute_exists(pk)";

/// `#name` aliases for every `#word` in `expressions`, so that any attribute (`status`, `bytes`, … are
/// reserved words) can be named without a table of its own at each call.
pub(super) fn names(expressions: &[&str]) -> Option<HashMap<String, String>> {
    let mut names = HashMap::new();
    for expression in expressions {
        for (start, _) in expression.match_indices('#') {
            let word: String = expression[start + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() {
                names.insert(format!("#{word}"), word);
            }
        }
    }
    (!names.is_empty()).then_some(names)
}

/// The `:value` map of an expression; `None` when empty, as the service refuses empty maps.
pub(super) fn values(values: Item) -> Option<Item> {
    (!values.is_empty()).then_some(values)
}

/// `[(":name", value)]` as an expression's value map.
pub(super) fn vals<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// An update expression assembled from the fields a patch sets or clears.
#[derive(Debug, Default)]
pub(super) struct Assignments {
    set: Vec<String>,
    remove: Vec<String>,
    values: Item,
}

impl Assignments {
    /// `SET #name = :name`.
    pub(super) fn set(&mut self, name: &str, value: AttributeValue) {
        self.set.push(format!("#{name} = :{name}"));
        self.values.insert(format!(":{name}"), value);
    }

    /// `REMOVE #name` (absent optional values are absent attributes).
    pub(super) fn remove(&mut self, name: &str) {
        self.remove.push(format!("#{name}"));
    }

    /// Sets `name` to `value`, or removes it when `None`.
    pub(super) fn set_or_remove(&mut self, name: &str, value: Option<AttributeValue>) {
        match value {
            Some(value) => self.set(name, value),
            None => self.remove(name),
        }
    }

    /// The expression and its values; `None` when nothing changes.
    pub(super) fn into_expression(self) -> Option<(String, Item)> {
        let mut clauses = Vec::new();
        if !self.set.is_empty() {
            clauses.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            clauses.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        (!clauses.is_empty()).then(|| (clauses.join(" "), self.values))
    }
}

impl DynamoDatabase {
    /// A transaction item putting `item` where nothing is yet.
    pub(super) fn put_new(&self, item: Item) -> Result<TransactWriteItem, DbError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(ABSENT)
            .build();
        Ok(TransactWriteItem::builder().put(built(put)?).build())
    }

    /// A transaction item deleting `key`, when `condition` (if any) holds.
    pub(super) fn delete(
        &self,
        key: Item,
        condition: Option<&str>,
        condition_values: Item,
    ) -> Result<TransactWriteItem, DbError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_names(names(&[condition.unwrap_or_default()]))
            .set_expression_attribute_values(values(condition_values))
            .build();
        Ok(TransactWriteItem::builder().delete(built(delete)?).build())
    }

    /// A transaction item running `update` on `key` when `condition` (if any) holds.
    pub(super) fn update(
        &self,
        key: Item,
        update: &str,
        condition: Option<&str>,
        update_values: Item,
    ) -> Result<TransactWriteItem, DbError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update)
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_names(names(&[update, condition.unwrap_or_default()]))
            .set_expression_attribute_values(values(update_values))
            .build();
        Ok(TransactWriteItem::builder().update(built(update)?).build())
    }

    /// A transaction item that writes nothing and cancels the transaction unless `condition` holds.
    pub(super) fn check(
        &self,
        key: Item,
        condition: &str,
        condition_values: Item,
    ) -> Result<TransactWriteItem, DbError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[condition]))
            .set_expression_attribute_values(values(condition_values))
            .build();
        Ok(TransactWriteItem::builder()
            .condition_check(built(check)?)
            .build())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn aliases_are_collected_from_every_expression() {
        let found = names(&["#status = :p AND #version = :v", "SET #updated_at = :now"]).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found["#status"], "status");
        assert_eq!(found["#updated_at"], "updated_at");
        assert_eq!(names(&["attribute_not_exists(pk)"]), None);
        assert_eq!(values(Item::new()), None);
    }

    #[test]
    fn assignments_set_and_remove_what_a_patch_names() {
        assert_eq!(Assignments::default().into_expression(), None);
        let mut patch = Assignments::default();
        patch.set("bio", AttributeValue::S("hi".into()));
        patch.set_or_remove("first_name", None);
        patch.set_or_remove("last_name", Some(AttributeValue::S("Lee".into())));
        let (expression, values) = patch.into_expression().unwrap();
        assert_eq!(
            expression,
            "SET #bio = :bio, #last_name = :last_name REMOVE #first_name"
        );
        assert_eq!(values.len(), 2);
        assert_eq!(names(&[&expression]).unwrap().len(), 3);
    }
}
