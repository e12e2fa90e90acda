//! The index's items in the database's table: every key starts with `SEARCH#`, so they never meet the
//! repositories' items (see the module docs for the list).

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use darkroom_core::domain::UserId;
use darkroom_core::ports::UserDocument;
use darkroom_core::search::{fuzzy_text, terms, trigrams, TermKind};

/// One item, or one key, as the SDK carries it.
pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";

/// What a document is found by: an item whose key is all that matters (it holds the user's id and the
/// version that wrote it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Token {
    pub pk: String,
    pub sk: String,
}

impl Token {
    pub(super) fn key(&self) -> Item {
        key(self.pk.clone(), self.sk.clone())
    }
}

pub(super) fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk)),
        (SK.to_owned(), AttributeValue::S(sk.into())),
    ])
}

/// The item holding a user's document.
pub(super) fn document(id: UserId) -> Item {
    key(format!("SEARCH#DOC#{id}"), "DOC")
}

/// The partition of the terms of one kind that start with `first`: a prefix query reads one partition,
/// `begins_with(sk, query)`.
pub(super) fn term_partition(kind: TermKind, first: char) -> String {
    let kind = match kind {
        TermKind::Username => 'U',
        TermKind::Name => 'N',
    };
    format!("SEARCH#{kind}#{first}")
}

/// The partition of the users whose fuzzy text has `trigram`.
pub(super) fn trigram_partition(trigram: &str) -> String {
    format!("SEARCH#T#{trigram}")
}

/// Every token of `document`: one per term, sorted in its partition by the term then the id (`#` sorts
/// before every character a username may hold, so the exact username comes first), and one per trigram.
pub(super) fn tokens(document: &UserDocument) -> BTreeSet<Token> {
    let id = document.id;
    let terms = terms(document).into_iter().filter_map(|term| {
        let first = term.text.chars().next()?;
        Some(Token {
            pk: term_partition(term.kind, first),
            sk: format!("{}#{id}", term.text),
        })
    });
    let trigrams = trigrams(&fuzzy_text(document))
        .into_iter()
        .map(|trigram| Token {
            pk: trigram_partition(&trigram),
            sk: id.to_string(),
        });
    terms.chain(trigrams).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn every_key_is_the_index_own() {
        let doc = UserDocument {
            id: UserId::new(),
            username: "ada".into(),
            display_name: Some("Ada L".into()),
            first_name: None,
            last_name: Some("Lovelace".into()),
            updated_at: Utc::now(),
        };
        let tokens = tokens(&doc);
        assert!(tokens.iter().all(|token| token.pk.starts_with("SEARCH#")));
        let pk = |key: &Item| match key.get(PK) {
            Some(AttributeValue::S(pk)) => pk.clone(),
            other => panic!("{other:?}"),
        };
        assert!(pk(&document(doc.id)).starts_with("SEARCH#"));
        let username = Token {
            pk: "SEARCH#U#a".into(),
            sk: format!("ada#{}", doc.id),
        };
        assert!(tokens.contains(&username));
        let lovelace = Token {
            pk: "SEARCH#N#l".into(),
            sk: format!("lovelace#{}", doc.id),
        };
        assert!(tokens.contains(&lovelace));
        let trigram = Token {
            pk: "SEARCH#T#lac".into(),
            sk: doc.id.to_string(),
        };
        assert!(tokens.contains(&trigram));
    }
}
