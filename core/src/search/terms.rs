//! What a document is found by: its terms (for the prefix paths, index range scans) and its trigrams (for
//! the fuzzy path). Adapters index exactly these, and the ranking compares against exactly these, so what
//! an index finds and how it ranks cannot drift apart.

use std::collections::BTreeSet;

use super::normalize::{normalize, MAX_QUERY_CHARS};
use crate::ports::UserDocument;

/// Which prefix path a term belongs to. The discriminant is what adapters store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TermKind {
    Username = 0,
    Name = 1,
}

/// One term of a document, in normal form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    pub kind: TermKind,
    pub text: String,
}

/// Every term of `document`, without duplicates: its username, and for each of first, last and display
/// name the whole name, each of its words (split at spaces and hyphens), and "first last".
///
/// Terms are cut to `MAX_QUERY_CHARS`: a query is never longer, so it starts a cut term exactly when it
/// starts the whole one, and index keys stay small (DynamoDB sort keys, btree entries).
pub fn terms(document: &UserDocument) -> Vec<Term> {
    let mut terms = BTreeSet::new();
    let mut add = |kind, text: &str| {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let text = text.trim_end();
        if !text.is_empty() {
            terms.insert(Term {
                kind,
                text: text.to_owned(),
            });
        }
    };
    add(TermKind::Username, &normalize(&document.username));
    let names = names(document);
    for name in &names {
        add(TermKind::Name, name);
        for word in name.split([' ', '-']) {
            add(TermKind::Name, word);
        }
    }
    if let (Some(first), Some(last)) = (&document.first_name, &document.last_name) {
        add(
            TermKind::Name,
            &format!("{} {}", normalize(first), normalize(last)),
        );
    }
    terms.into_iter().collect()
}

/// The text the fuzzy indexes read (SQLite's FTS5 trigram table, Postgres's `pg_trgm`): the username and
/// the names in normal form, each word padded as `trigrams` pads it, so that an index of every three
/// characters of this text holds every trigram `trigrams` gives for it.
pub fn fuzzy_text(document: &UserDocument) -> String {
    let mut text = String::new();
    let username = normalize(&document.username);
    let names = names(document);
    for word in std::iter::once(&username)
        .chain(&names)
        .flat_map(|name| name.split(' '))
    {
        text.push_str(&padded(word));
    }
    text
}

/// The trigrams of `text`'s words, each word padded as `pg_trgm` pads it (two spaces before, one after), so
/// a word's first letters count as much as its middle: `ann` gives `  a`, ` an`, `ann`, `nn `. A short
/// word with two typos far apart still shares its first trigram with the name it misspells.
pub fn trigrams(text: &str) -> BTreeSet<String> {
    let mut trigrams = BTreeSet::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let padded: Vec<char> = padded(word).chars().collect();
        for window in padded.windows(3) {
            trigrams.insert(window.iter().collect());
        }
    }
    trigrams
}

fn padded(word: &str) -> String {
    format!("  {word} ")
}

/// The document's names in normal form, the empty ones left out.
fn names(document: &UserDocument) -> Vec<String> {
    [
        &document.first_name,
        &document.last_name,
        &document.display_name,
    ]
    .into_iter()
    .flatten()
    .map(|name| normalize(name))
    .filter(|name| !name.is_empty())
    .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::UserId;

    fn document(first: Option<&str>, last: Option<&str>, display: Option<&str>) -> UserDocument {
        UserDocument {
            id: UserId::new(),
            username: "ada_l".into(),
            display_name: display.map(Into::into),
            first_name: first.map(Into::into),
            last_name: last.map(Into::into),
            updated_at: Utc::now(),
        }
    }

    fn texts(terms: &[Term], kind: TermKind) -> Vec<&str> {
        terms
            .iter()
            .filter(|term| term.kind == kind)
            .map(|term| term.text.as_str())
            .collect()
    }

    #[test]
    fn names_give_whole_names_words_and_first_last() {
        let terms = terms(&document(
            Some("Jean-Luc"),
            Some("Picard"),
            Some("Captain  Picard"),
        ));
        assert_eq!(texts(&terms, TermKind::Username), ["ada_l"]);
        assert_eq!(
            texts(&terms, TermKind::Name),
            [
                "captain",
                "captain picard",
                "jean",
                "jean-luc",
                "jean-luc picard",
                "luc",
                "picard"
            ]
        );
    }

    #[test]
    fn empty_names_give_nothing_and_long_ones_are_cut() {
        let long = "x".repeat(200);
        let terms = terms(&document(Some("  "), None, Some(&long)));
        assert_eq!(
            texts(&terms, TermKind::Name),
            ["x".repeat(MAX_QUERY_CHARS).as_str()]
        );
    }

    #[test]
    fn fuzzy_text_and_trigrams_cover_every_word() {
        let doc = document(Some("Zoë"), None, Some("Zoë B"));
        assert_eq!(fuzzy_text(&doc), "  ada_l   zoe   zoe   b ");
        let expected: BTreeSet<String> = [
            "  a", " ad", "ada", "da_", "a_l", "_l ", "  z", " zo", "zoe", "oe ", "  b", " b ",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let found = trigrams(&fuzzy_text(&doc));
        assert_eq!(found, expected);
        // An index of every window of the fuzzy text holds them all.
        let text: Vec<char> = fuzzy_text(&doc).chars().collect();
        let windows: BTreeSet<String> = text.windows(3).map(|w| w.iter().collect()).collect();
        assert!(found.is_subset(&windows));
    }
}
