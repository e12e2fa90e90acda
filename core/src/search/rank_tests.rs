use chrono::{DateTime, Duration, Utc};

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default()
}

fn user(username: &str, first: Option<&str>, last: Option<&str>, updated: i64) -> UserDocument {
    UserDocument {
        id: UserId::new(),
        username: username.into(),
        display_name: None,
        first_name: first.map(Into::into),
        last_name: last.map(Into::into),
        updated_at: at(updated),
    }
}

fn query(text: &str) -> SearchQuery {
    SearchQuery::parse(text).expect("a non-blank query")
}

fn tier(text: &str, document: &UserDocument) -> Option<(Tier, usize)> {
    score(&query(text), document).map(|score| (score.tier, score.typos))
}

#[test]
fn each_tier_is_recognised() {
    let ada = user("ada", Some("Augusta"), Some("Lovelace"), 0);
    assert_eq!(tier("ADA", &ada), Some((Tier::ExactUsername, 0)));
    assert_eq!(tier("ad", &ada), Some((Tier::UsernamePrefix, 0)));
    assert_eq!(tier("augu", &ada), Some((Tier::NamePrefix, 0)));
    assert_eq!(tier("love", &ada), Some((Tier::NamePrefix, 0)));
    assert_eq!(tier("augusta lov", &ada), Some((Tier::NamePrefix, 0)));
    assert_eq!(tier("lovelaec", &ada), Some((Tier::Fuzzy, 1)));
    assert_eq!(tier("lvoelaec", &ada), Some((Tier::Fuzzy, 2)));
    assert_eq!(tier("lxvexaxe", &ada), None, "three typos");
    assert_eq!(tier("xda", &ada), Some((Tier::Fuzzy, 1)));
    assert_eq!(tier("xd", &ada), None, "two letters allow no typo");
    assert_eq!(tier("bob", &ada), None);
}

#[test]
fn accents_and_case_are_ignored_both_ways() {
    let zoe = user("zoe_b", Some("Zoë"), Some("Ångström"), 0);
    assert_eq!(tier("ZOE", &zoe), Some((Tier::UsernamePrefix, 0)));
    assert_eq!(tier("angstrom", &zoe), Some((Tier::NamePrefix, 0)));
    let plain = user("plain", Some("Renee"), None, 0);
    assert_eq!(tier("Renée", &plain), Some((Tier::NamePrefix, 0)));
}

#[test]
fn display_names_and_their_words_count_as_names() {
    let mut doc = user("mj", None, None, 0);
    doc.display_name = Some("Mary-Jane Watson".into());
    assert_eq!(tier("watson", &doc), Some((Tier::NamePrefix, 0)));
    assert_eq!(tier("jane", &doc), Some((Tier::NamePrefix, 0)));
    assert_eq!(tier("mary-jane w", &doc), Some((Tier::NamePrefix, 0)));
}

#[test]
fn patterns_are_plain_text() {
    let doc = user("a_b", Some("100%"), None, 0);
    assert_eq!(tier("a_b", &doc), Some((Tier::ExactUsername, 0)));
    assert_eq!(
        tier("axb", &doc),
        Some((Tier::Fuzzy, 1)),
        "_ is a letter, not a wildcard"
    );
    assert_eq!(tier("100%", &doc), Some((Tier::NamePrefix, 0)));
    assert_eq!(tier("%", &doc), None);
}

#[test]
fn tiers_beat_recency_and_recency_breaks_ties() {
    let exact = user("ann", None, None, 0);
    let prefix_old = user("anna", None, None, 1);
    let prefix_new = user("annie", None, None, 2);
    let name = user("zed", Some("Annabel"), None, 3);
    let fuzzy_one = user("bnn", None, None, 4);
    let q = query("ann");
    let ids = rank(
        &q,
        [
            fuzzy_one.clone(),
            name.clone(),
            prefix_old.clone(),
            exact.clone(),
            prefix_new.clone(),
            user("unrelated", None, None, 9),
        ],
        10,
    );
    assert_eq!(
        ids,
        [
            exact.id,
            prefix_new.id,
            prefix_old.id,
            name.id,
            fuzzy_one.id
        ]
    );
    assert_eq!(rank(&q, [exact.clone(), prefix_new.clone()], 1), [exact.id]);
    assert!(rank(&q, [exact], 0).is_empty());
}

#[test]
fn fewer_typos_rank_first_among_fuzzy_matches() {
    let one = user("lovelace", None, None, 0);
    let two = user("lovexxxe", None, None, 5);
    let ids = rank(&query("lovelaxe"), [two.clone(), one.clone()], 10);
    assert_eq!(ids, [one.id, two.id]);
}

#[test]
fn a_document_given_twice_counts_once_as_its_newest_copy() {
    let old = user("oldname", None, None, 0);
    let mut renamed = old.clone();
    renamed.username = "newname".into();
    renamed.updated_at = old.updated_at + Duration::seconds(1);
    let ids = rank(&query("newname"), [old.clone(), renamed.clone(), old], 10);
    assert_eq!(ids, [renamed.id]);
    assert!(rank(
        &query("oldname"),
        [renamed.clone(), user("x", None, None, 0)],
        10
    )
    .is_empty());
}

#[test]
fn equal_documents_come_out_in_one_order() {
    let a = user("same_a", None, None, 0);
    let b = user("same_b", None, None, 0);
    let forward = rank(&query("same"), [a.clone(), b.clone()], 10);
    let backward = rank(&query("same"), [b, a], 10);
    assert_eq!(forward, backward);
}
