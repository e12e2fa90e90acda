//! The celebrity path: with a low threshold, an author above it is not fanned out but merged in on read;
//! an author crossing the threshold mid-stream (either way) leaves no duplicate and no gap, page by page.

use darkroom_tests::app::{spawn_app_with, Account, TestApp};
use darkroom_tests::social::{eventually, ids, same};

/// Every post id of `who`'s timeline, read one post per page, checking the cursors chain.
async fn walk_timeline(app: &TestApp, who: &Account) -> Vec<String> {
    let mut seen = Vec::new();
    let mut path = "/v1/timeline?limit=1".to_owned();
    loop {
        let page = app.read_json(Some(who), &path).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/timeline?limit=1&cursor={cursor}"),
            None => return seen,
        }
        assert!(seen.len() < 50, "the timeline does not end: {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_paths_give_one_timeline_without_duplicates_or_gaps() {
    let app = spawn_app_with(|config| config.timeline_celebrity_threshold = 2).await;
    let reader = app.register("reader").await;
    let second = app.register("second").await;
    let third = app.register("third").await;
    let plain = app.register("plain").await;
    let riser = app.register("riser").await;

    // `plain` stays below the threshold; `riser` starts below it (two followers).
    app.follow(&reader, "plain").await;
    app.follow(&reader, "riser").await;
    app.follow(&second, "riser").await;
    // The reader's stored timeline exists from the first read on.
    assert!(app.timeline_ids(&reader).await.is_empty());

    let mut expected = Vec::new();
    for (author, caption) in [(&riser, "r1"), (&plain, "p1"), (&riser, "r2")] {
        let picture = app.ready_image(author, "public").await;
        let post = app.post(author, &[&picture], caption, "public").await;
        expected.insert(0, post["id"].as_str().unwrap().to_owned());
    }
    eventually("fanned-out posts arrive", || async {
        same(app.timeline_ids(&reader).await, expected.clone())
    })
    .await;

    // A third follower lifts `riser` above the threshold: its next posts are merged in on read.
    app.follow(&third, "riser").await;
    assert_eq!(
        app.read_json(None, "/v1/users/riser").await["followers_count"],
        3
    );
    for (author, caption) in [(&riser, "r3"), (&plain, "p2"), (&riser, "r4")] {
        let picture = app.ready_image(author, "public").await;
        let post = app.post(author, &[&picture], caption, "public").await;
        expected.insert(0, post["id"].as_str().unwrap().to_owned());
    }
    eventually("both paths make one timeline", || async {
        same(app.timeline_ids(&reader).await, expected.clone())
    })
    .await;
    assert_eq!(walk_timeline(&app, &reader).await, expected, "page by page");

    // Back below the threshold: its next post is fanned out again, and nothing moves.
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            "/v1/users/riser/follow",
            Some(&third),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let picture = app.ready_image(&riser, "public").await;
    let post = app.post(&riser, &[&picture], "r5", "public").await;
    expected.insert(0, post["id"].as_str().unwrap().to_owned());
    eventually("the fanned-out post joins the merged ones", || async {
        same(app.timeline_ids(&reader).await, expected.clone())
    })
    .await;
    assert_eq!(walk_timeline(&app, &reader).await, expected, "page by page");
    // The second follower, whose timeline is built only now, from the follow graph, sees all of `riser`'s
    // posts (all but `plain`'s two, at 2 and 5 of [r5, r4, p2, r3, r2, p1, r1]), in the same order.
    let riser_posts: Vec<String> = expected
        .iter()
        .enumerate()
        .filter(|(index, _)| ![2, 5].contains(index))
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(walk_timeline(&app, &second).await, riser_posts);
}
