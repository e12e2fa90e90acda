//! `listMyImages?tag=`: the owner's tags and the automatic ones, exact matches, keyset pages; the capture
//! (camera, time taken) only for the owner; nothing of GPS kept.

use darkroom_tests::app::{assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{json, Value};

use super::{ready_photo, tags};

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Filtering by a tag of either kind, a page at a time, gives exactly the images carrying it, newest first.
#[tokio::test]
async fn list_my_images_filters_by_either_kind_of_tag_across_pages() {
    let app = spawn_app().await;
    let me = app.register("lister").await;
    let other = app.register("neighbour").await;
    // Newest last: Canon (landscape), no_exif (portrait), Nikon (landscape), landscape_6 (landscape).
    let mut mine = Vec::new();
    for photo in [
        "Canon_40D.jpg",
        "no_exif.jpg",
        "Nikon_D70.jpg",
        "landscape_6.jpg",
    ] {
        mine.push(ready_photo(&app, &me, photo, "public").await);
    }
    // Someone else's Canon photo never shows up in my listing.
    ready_photo(&app, &other, "Canon_40D.jpg", "public").await;
    let id = |i: usize| mine[i]["id"].as_str().unwrap().to_owned();

    // My own tag on two of them, one of them also landscape automatically.
    for i in [1, 2] {
        let (status, body) = app
            .call(
                Method::PATCH,
                &format!("/v1/images/{}", id(i)),
                Some(&me),
                Some(json!({"tags": ["trip"]})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["tags"], json!(["trip"]));
        assert!(
            !tags(&body).is_empty(),
            "updateImage keeps the automatic tags"
        );
    }

    // Page by page, one image each, newest first.
    let walk = |tag: &'static str| {
        let (app, me) = (&app, &me);
        async move {
            let mut seen = Vec::new();
            let mut path = format!("/v1/me/images?limit=1&tag={tag}");
            for _ in 0..10 {
                let page = app.read_json(Some(me), &path).await;
                seen.extend(ids(&page));
                match page["next_cursor"].as_str() {
                    Some(cursor) => {
                        path = format!("/v1/me/images?limit=1&tag={tag}&cursor={cursor}")
                    }
                    None => return seen,
                }
            }
            panic!("paging by {tag} does not end");
        }
    };
    assert_eq!(walk("landscape").await, [id(3), id(2), id(0)]);
    assert_eq!(walk("portrait").await, [id(1)]);
    assert_eq!(walk("trip").await, [id(2), id(1)]);
    assert_eq!(walk("camera:canon").await, [id(0)]);
    assert_eq!(walk("camera:nikon-d70").await, [id(2)]);
    assert_eq!(walk("year:2008").await, [id(2), id(0)]);
    assert!(
        walk("camera:nikon-d7").await.is_empty(),
        "exact matches only"
    );
    assert!(walk("Landscape").await.is_empty(), "case matters");
    // Without a tag: everything, as before.
    let all = app.read_json(Some(&me), "/v1/me/images?limit=10").await;
    assert_eq!(ids(&all), [id(3), id(2), id(1), id(0)]);

    // Tags are 1 to 50 characters; a URL-encoded `:` is the same tag.
    let page = app
        .read_json(Some(&me), "/v1/me/images?tag=camera%3Acanon")
        .await;
    assert_eq!(ids(&page), [id(0)]);
    for bad in ["", &"x".repeat(51)] {
        let response = app
            .get(Some(&me), &format!("/v1/me/images?tag={bad}"), &[])
            .await;
        assert_problem(response, 400, "bad_request").await;
    }
}

/// The camera and the time taken are the owner's: nobody else sees them, in `getImage` or in a post. The
/// automatic tags everybody who may see the image sees.
#[tokio::test]
async fn only_the_owner_sees_the_capture() {
    let app = spawn_app().await;
    let owner = app.register("shooter").await;
    let fan = app.register("fan").await;
    let image = ready_photo(&app, &owner, "Canon_40D.jpg", "public").await;
    let id = image["id"].as_str().unwrap();
    assert_eq!(image["camera_make"], "Canon");
    let listed = app.read_json(Some(&owner), "/v1/me/images").await;
    assert_eq!(listed["items"][0]["taken_at"], "2008-05-30T15:56:01");

    let post = app.post(&owner, &[id], "at the lake", "public").await;
    let seen_by = |who| {
        let app = &app;
        async move { app.read_json(who, &format!("/v1/images/{id}")).await }
    };
    for view in [seen_by(Some(&fan)).await, seen_by(None).await] {
        for field in ["camera_make", "camera_model", "taken_at"] {
            assert!(view[field].is_null(), "{field} shown to another: {view}");
        }
        assert_eq!(view["auto_tags"], image["auto_tags"]);
    }
    let post_id = post["id"].as_str().unwrap();
    for who in [Some(&fan), Some(&owner)] {
        let post = app.read_json(who, &format!("/v1/posts/{post_id}")).await;
        let shown = &post["images"][0];
        assert_eq!(shown["auto_tags"], image["auto_tags"], "{post}");
        assert!(
            shown["camera_make"].is_null() && shown["taken_at"].is_null(),
            "{post}"
        );
    }
}

/// DSCN0010 carries GPS coordinates in its EXIF: its camera and date are kept, nothing of its location is,
/// neither in what the API answers nor (on the embedded database) in the image's row.
#[tokio::test]
async fn gps_is_never_stored() {
    let app = spawn_app().await;
    let me = app.register("walker").await;
    let image = ready_photo(&app, &me, "DSCN0010.jpg", "private").await;
    assert_eq!(image["camera_model"], "COOLPIX P6000");
    assert_eq!(image["taken_at"], "2008-10-22T16:28:39");
    let text = image.to_string().to_lowercase();
    for word in ["gps", "latitude", "longitude", "location", "altitude"] {
        assert!(!text.contains(word), "{word} in {image}");
    }

    let url = app.config.database_url();
    if let Some(path) = url.strip_prefix("sqlite://") {
        use sqlx::{Connection, Row};
        let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{path}?mode=ro"))
            .await
            .unwrap();
        let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info('images')")
            .fetch_all(&mut db)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>(0).to_lowercase())
            .collect();
        assert!(columns.contains(&"camera_model".to_owned()), "{columns:?}");
        assert!(
            columns
                .iter()
                .all(|c| !["gps", "lat", "lon", "location", "exif"]
                    .iter()
                    .any(|w| c.contains(w))),
            "{columns:?}"
        );
        let row = sqlx::query(
            "SELECT camera_make, camera_model, taken_at, auto_tags FROM images WHERE id = $1",
        )
        .bind(image["id"].as_str().unwrap())
        .fetch_one(&mut db)
        .await
        .unwrap();
        assert_eq!(row.get::<String, _>(0), "NIKON");
        assert_eq!(row.get::<String, _>(2), "2008-10-22T16:28:39");
        assert!(!row.get::<String, _>(3).to_lowercase().contains("gps"));
    }
}
