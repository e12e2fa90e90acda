//! `editImage` refusals: each malformed or impossible step is a 400 problem naming its index, before
//! anything is recorded; only the owner edits (another account gets 404), and only ready images.

use darkroom_tests::app::{assert_problem, spawn_app};
use serde_json::{json, Value};

use super::{post_edit, ready_png, source_png};

#[tokio::test]
async fn bad_steps_are_refused_naming_their_index_and_nothing_is_recorded() {
    let app = spawn_app().await;
    let me = app.register("strict").await;
    let id = ready_png(&app, &me, source_png()).await;
    let cases = [
        (
            json!([{"op": "grayscale"}, {"op": "sepia"}, {"op": "crop", "x": 150, "y": 0, "width": 100, "height": 50}]),
            "operations[2]: crop 100x50 at (150, 0) is outside the 200x100 image",
        ),
        (
            // The crop fits the image as it stands after the quarter turn (100 x 200), not the source.
            json!([{"op": "rotate", "degrees": 90}, {"op": "crop", "x": 0, "y": 0, "width": 150, "height": 10}]),
            "operations[1]: crop 150x10 at (0, 0) is outside the 100x200 image",
        ),
        (
            json!([{"op": "sepia"}, {"op": "paint"}]),
            "operations[1]: \"paint\" is not an operation",
        ),
        (
            json!([{"op": "blur", "sigma": 1e9}]),
            "operations[0]: blur sigma must be above 0 to 100, not 1000000000",
        ),
        (
            json!([{"op": "resize", "width": 100000, "fit": "fit"}]),
            "operations[0]: resize width 100000 is over the limit of",
        ),
        (
            json!([{"op": "flip"}]),
            "operations[0]: flip needs direction horizontal or vertical",
        ),
        (
            json!([{"op": "grayscale", "sigma": 2}]),
            "operations[0]: grayscale takes no sigma",
        ),
        (
            json!([{"op": "rotate", "degrees": 10, "background": "pink"}]),
            "operations[0]: background must be #rrggbb",
        ),
        (
            json!([{"op": "watermark", "image_id": "0190c0de-0000-7000-8000-000000000000"}]),
            "operations[0]: watermark image 0190c0de-0000-7000-8000-000000000000 not found",
        ),
        (
            json!([{"op": "watermark", "text": "hi", "image_id": id}]),
            "operations[0]: a watermark takes either text or image_id",
        ),
        (json!([]), "operations: list 1 to 20 operations"),
    ];
    for (operations, detail) in cases {
        let problem = assert_problem(
            post_edit(&app, &me, &id, operations.clone()).await,
            400,
            "invalid_edit",
        )
        .await;
        let said = problem["detail"].as_str().unwrap();
        assert!(said.starts_with(detail), "{operations}: {said}");
    }
    // A step of the wrong JSON type is refused by the schema check, which names its index too.
    let problem = post_edit(
        &app,
        &me,
        &id,
        json!([{"op": "crop"}, {"op": "crop", "x": "ten"}]),
    )
    .await;
    assert_eq!(problem.status(), 400);
    let problem: Value = problem.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("operations[1].x"),
        "{problem}"
    );

    let list: Value = app
        .get(Some(&me), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing recorded: {list}"
    );
}

#[tokio::test]
async fn only_the_owner_edits_and_only_ready_images() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let other = app.register("other").await;
    let id = ready_png(&app, &owner, source_png()).await;
    let grey = json!([{"op": "grayscale"}]);
    assert_problem(
        post_edit(&app, &other, &id, grey.clone()).await,
        404,
        "not_found",
    )
    .await;
    // Even a public image is not another account's to edit.
    let public = app
        .upload_testdata(&owner, "photos/landscape_1.jpg", "public")
        .await;
    let public_id = public["id"].as_str().unwrap().to_owned();
    app.wait_processed(&owner, &public_id).await;
    assert_problem(
        post_edit(&app, &other, &public_id, grey.clone()).await,
        404,
        "not_found",
    )
    .await;
    // Nor is another account's image a watermark.
    let theirs = ready_png(&app, &other, source_png()).await;
    let mark = json!([{"op": "watermark", "image_id": theirs}]);
    let problem = assert_problem(
        post_edit(&app, &owner, &id, mark).await,
        400,
        "invalid_edit",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("not found"),
        "{problem}"
    );
    // Without a token, 401.
    let anonymous = app
        .client
        .post(app.url(&format!("/v1/images/{id}/edits")))
        .json(&json!({"operations": grey}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // A source that is not ready (here: failed, for good) cannot be edited: 409.
    let broken = app
        .upload_raw(
            &owner,
            b"\x89PNG\r\n\x1a\nnot really".to_vec(),
            "image/png",
            "private",
        )
        .await;
    assert_eq!(
        broken.status(),
        202,
        "recognised by its magic bytes, refused by processing"
    );
    let broken: Value = broken.json().await.unwrap();
    let broken_id = broken["id"].as_str().unwrap();
    assert_eq!(
        app.wait_processed(&owner, broken_id).await["status"],
        "failed"
    );
    assert_problem(
        post_edit(&app, &owner, broken_id, grey).await,
        409,
        "image_not_ready",
    )
    .await;
}
