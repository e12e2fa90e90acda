//! The `UserSearch` contract suite. Run it with `user_search_contract_suite!(factory)`, where `factory` is
//! an async fn returning `Fixture<dyn UserSearch>` (or `None` to skip) with the index migrated.
//!
//! Every case makes up names of its own (`token`), so cases may share one index: a query only ever finds
//! the documents of the case that made it up.

#![allow(clippy::unwrap_used)]

mod documents;
mod ranking;

pub use documents::*;
pub use ranking::*;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::UserId;
use darkroom_core::ports::{UserDocument, UserSearch};
use uuid::Uuid;

/// Expands to one `#[tokio::test]` per search case, each calling `$factory().await` for an index.
#[macro_export]
macro_rules! user_search_contract_suite {
    (@cases $factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory().await) else { return };
                $crate::contract::search::$case(fixture.port.clone()).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::user_search_contract_suite!(@cases $factory;
            exact_then_username_prefix_then_name_prefix_then_fuzzy,
            ties_are_newest_updated_first,
            first_last_and_display_name_prefixes_match,
            one_and_two_typos_are_found_three_are_not,
            accents_and_case_are_ignored,
            a_user_matching_several_ways_comes_once,
            limit_caps_the_answer,
            nothing_found_is_an_empty_list,
            patterns_and_quotes_are_plain_text,
            an_update_replaces_the_old_names,
            an_older_update_is_ignored,
            remove_forgets_and_ignores_unknown_ids,
        );
    };
}

/// `len` letters no other case (or run) makes up, all from `a` to `p`: a typo made with a letter from `q` to
/// `z` is always a typo.
pub fn token(len: usize) -> String {
    let mut letters = String::new();
    while letters.len() < len {
        letters.extend(
            Uuid::new_v4()
                .as_bytes()
                .iter()
                .flat_map(|byte| [byte >> 4, byte & 0x0f])
                .map(|nibble| char::from(b'a' + nibble)),
        );
    }
    letters.truncate(len);
    letters
}

/// `text` with the letter at each of `positions` replaced by one no token holds.
pub fn typo(text: &str, positions: &[usize]) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| if positions.contains(&i) { 'z' } else { c })
        .collect()
}

/// A fixed moment plus `seconds`: whole seconds, which every backend stores exactly.
pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap() + Duration::seconds(seconds)
}

/// A document with a made-up username (found by nothing the case searches for) and no names.
pub fn document(updated: i64) -> UserDocument {
    UserDocument {
        id: UserId::new(),
        username: format!("u_{}", token(20)),
        display_name: None,
        first_name: None,
        last_name: None,
        updated_at: at(updated),
    }
}

pub async fn index(search: &Arc<dyn UserSearch>, documents: &[&UserDocument]) {
    for document in documents {
        search.upsert(document).await.unwrap();
    }
}

pub async fn find(search: &Arc<dyn UserSearch>, query: &str) -> Vec<UserId> {
    search.search(query, 20).await.unwrap()
}
