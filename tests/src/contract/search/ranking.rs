//! What a search finds, and in which order.

use std::sync::Arc;

use darkroom_core::ports::{UserDocument, UserSearch};

use super::{document, find, index, token, typo};

pub async fn exact_then_username_prefix_then_name_prefix_then_fuzzy(search: Arc<dyn UserSearch>) {
    let name = token(12);
    // Each better match is older than the worse ones: the tier decides, not recency.
    let exact = UserDocument {
        username: name.clone(),
        ..document(0)
    };
    let username_prefix = UserDocument {
        username: format!("{name}_two"),
        ..document(1)
    };
    let name_prefix = UserDocument {
        first_name: Some(format!("{name}ina")),
        ..document(2)
    };
    let fuzzy = UserDocument {
        last_name: Some(typo(&name, &[5])),
        ..document(3)
    };
    let unrelated = document(4);
    index(
        &search,
        &[&unrelated, &fuzzy, &name_prefix, &username_prefix, &exact],
    )
    .await;
    assert_eq!(
        find(&search, &name).await,
        [exact.id, username_prefix.id, name_prefix.id, fuzzy.id]
    );
}

pub async fn ties_are_newest_updated_first(search: Arc<dyn UserSearch>) {
    let name = token(12);
    let with = |suffix: &str, updated| UserDocument {
        username: format!("{name}_{suffix}"),
        ..document(updated)
    };
    let (middle, newest, oldest) = (with("a", 5), with("b", 9), with("c", 1));
    index(&search, &[&middle, &newest, &oldest]).await;
    assert_eq!(
        find(&search, &name).await,
        [newest.id, middle.id, oldest.id]
    );
}

pub async fn first_last_and_display_name_prefixes_match(search: Arc<dyn UserSearch>) {
    let (first, last, display) = (token(12), token(12), token(12));
    let user = UserDocument {
        first_name: Some(format!("{first}ina")),
        last_name: Some(format!("{last}son")),
        display_name: Some(format!("Countess {display}y")),
        ..document(0)
    };
    index(&search, &[&user]).await;
    for query in [
        first.clone(),
        last.clone(),
        display,
        format!("{first}ina {last}"),
    ] {
        assert_eq!(find(&search, &query).await, [user.id], "{query}");
    }
}

pub async fn one_and_two_typos_are_found_three_are_not(search: Arc<dyn UserSearch>) {
    let name = format!("{}mn", token(12));
    let user = UserDocument {
        last_name: Some(name.clone()),
        ..document(0)
    };
    index(&search, &[&user]).await;
    let swapped = format!("{}nm", &name[..12]);
    for query in [typo(&name, &[3]), swapped, typo(&name, &[3, 9])] {
        assert_eq!(find(&search, &query).await, [user.id], "{query}");
    }
    let three = typo(&name, &[1, 6, 11]);
    assert!(find(&search, &three).await.is_empty(), "{three}");

    // Two typos far apart in a six-letter name leave it no inner trigram in common with the query.
    let short = UserDocument {
        first_name: Some(token(6)),
        ..document(0)
    };
    index(&search, &[&short]).await;
    let query = typo(short.first_name.as_deref().unwrap(), &[1, 4]);
    assert!(find(&search, &query).await.contains(&short.id), "{query}");
}

pub async fn accents_and_case_are_ignored(search: Arc<dyn UserSearch>) {
    let (a, b, c) = (token(10), token(10), token(10));
    let accented = UserDocument {
        first_name: Some(format!("Éloïse{}", a.to_uppercase())),
        ..document(0)
    };
    let plain = UserDocument {
        last_name: Some(format!("renee{b}")),
        ..document(0)
    };
    let username = UserDocument {
        username: c.clone(),
        ..document(0)
    };
    index(&search, &[&accented, &plain, &username]).await;
    assert_eq!(
        find(&search, &format!("ELOISE{}", a.to_uppercase())).await,
        [accented.id]
    );
    assert_eq!(find(&search, &format!("Renée{b}")).await, [plain.id]);
    assert_eq!(find(&search, &c.to_uppercase()).await, [username.id]);
}

pub async fn a_user_matching_several_ways_comes_once(search: Arc<dyn UserSearch>) {
    let name = token(12);
    let user = UserDocument {
        username: name.clone(),
        first_name: Some(name.clone()),
        last_name: Some(typo(&name, &[2])),
        display_name: Some(format!("{name} {name}")),
        ..document(0)
    };
    index(&search, &[&user]).await;
    assert_eq!(find(&search, &name).await, [user.id]);
}

pub async fn limit_caps_the_answer(search: Arc<dyn UserSearch>) {
    let name = token(12);
    let users: Vec<UserDocument> = (0..5)
        .map(|i| UserDocument {
            username: format!("{name}_{i}"),
            ..document(i)
        })
        .collect();
    index(&search, &users.iter().collect::<Vec<_>>()).await;
    assert_eq!(
        search.search(&name, 2).await.unwrap(),
        [users[4].id, users[3].id]
    );
    assert!(search.search(&name, 0).await.unwrap().is_empty());
    assert_eq!(search.search(&name, 100).await.unwrap().len(), 5);
}

pub async fn nothing_found_is_an_empty_list(search: Arc<dyn UserSearch>) {
    index(&search, &[&document(0)]).await;
    for query in [token(12), String::new(), "   ".into(), "\u{0}\t".into()] {
        assert!(find(&search, &query).await.is_empty(), "{query:?}");
    }
}

pub async fn patterns_and_quotes_are_plain_text(search: Arc<dyn UserSearch>) {
    let name = token(10);
    let underscore = UserDocument {
        username: format!("{name}_x"),
        ..document(0)
    };
    // Newer, so that it would come first if `_` matched any character.
    let lookalike = UserDocument {
        username: format!("{name}ax"),
        ..document(5)
    };
    let percent = UserDocument {
        first_name: Some(format!("{name}%off")),
        ..document(1)
    };
    let quoted = UserDocument {
        last_name: Some(format!("O'{name}")),
        ..document(2)
    };
    index(&search, &[&underscore, &lookalike, &percent, &quoted]).await;
    // `_` is a letter: only the username with one starts with the query; the others are a typo away.
    assert_eq!(
        find(&search, &format!("{name}_")).await,
        [underscore.id, lookalike.id, percent.id]
    );
    // `%` is a letter: the name holding one is a prefix match, above usernames a pattern would take.
    assert_eq!(find(&search, &format!("{name}%")).await[0], percent.id);
    assert_eq!(find(&search, &format!("o'{name}")).await[0], quoted.id);
    for query in [
        "%",
        "_",
        "'",
        "\"",
        "*",
        "' OR 1=1 --",
        "\"a\" OR b*",
        "%_%",
    ] {
        let found = find(&search, query).await;
        assert!(
            !found.contains(&underscore.id) && !found.contains(&lookalike.id),
            "{query:?} found {found:?}"
        );
    }
}
