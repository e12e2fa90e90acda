use darkroom_tests::app::{
    assert_problem, read_testdata, spawn_app, spawn_app_with, Account, TestApp,
};
use serde_json::json;

fn has_gps(bytes: &[u8]) -> bool {
    match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(exif) => exif.fields().any(|f| {
            f.tag.context() == exif::Context::Gps || f.tag == exif::Tag::GPSInfoIFDPointer
        }),
        Err(_) => false,
    }
}

async fn all_served_bytes(
    app: &TestApp,
    who: Option<&Account>,
    id: &str,
) -> Vec<(String, Vec<u8>)> {
    let mut served = Vec::new();
    for name in ["thumb", "small", "medium", "large"] {
        for format in ["jpeg", "webp"] {
            let path = format!("/v1/images/{id}/variants/{name}?format={format}");
            let response = app.get(who, &path, &[]).await;
            assert_eq!(response.status(), 200, "{path}");
            served.push((path, response.bytes().await.unwrap().to_vec()));
        }
    }
    let path = format!("/v1/images/{id}/original");
    let response = app.get(who, &path, &[]).await;
    assert_eq!(response.status(), 200, "{path}");
    served.push((path, response.bytes().await.unwrap().to_vec()));
    served
}

/// DSCN0010 and DSCN0012 carry GPS coordinates: nothing anyone else is served may keep them.
#[tokio::test]
async fn no_served_byte_keeps_gps() {
    let app = spawn_app().await;
    let owner = app.register("traveller").await;
    let stranger = app.register("stranger").await;
    for photo in ["DSCN0010.jpg", "DSCN0012.jpg"] {
        let original = read_testdata(&format!("photos/{photo}"));
        assert!(has_gps(&original), "{photo} is a GPS control");
        let image = app
            .upload_testdata(&owner, &format!("photos/{photo}"), "public")
            .await;
        let id = image["id"].as_str().unwrap();
        assert_eq!(app.wait_processed(&owner, id).await["status"], "ready");
        for who in [None, Some(&stranger)] {
            for (path, bytes) in all_served_bytes(&app, who, id).await {
                assert!(!has_gps(&bytes), "{path} keeps GPS");
                image::load_from_memory(&bytes)
                    .unwrap_or_else(|e| panic!("{path} no longer decodes: {e}"));
            }
        }
        // The owner's own download is theirs, untouched.
        let mine = app
            .get(Some(&owner), &format!("/v1/images/{id}/original"), &[])
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(mine.to_vec(), original);
    }
}

/// What another account may not see answers 404, exactly as if it did not exist, on every path.
#[tokio::test]
async fn private_images_are_invisible_and_untouchable_to_others() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let other = app.register("other").await;
    let image = app
        .upload_testdata(&owner, "photos/Nikon_D70.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap();
    app.wait_processed(&owner, id).await;

    for who in [None, Some(&other)] {
        for path in [
            format!("/v1/images/{id}"),
            format!("/v1/images/{id}/variants/thumb"),
            format!("/v1/images/{id}/original"),
        ] {
            assert_problem(app.get(who, &path, &[]).await, 404, "not_found").await;
        }
    }
    let missing = uuid::Uuid::now_v7();
    assert_problem(
        app.get(Some(&other), &format!("/v1/images/{missing}"), &[])
            .await,
        404,
        "not_found",
    )
    .await;

    let patch = app
        .client
        .patch(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&other.access_token)
        .json(&json!({"visibility": "public"}))
        .send()
        .await
        .unwrap();
    assert_problem(patch, 404, "not_found").await;
    let delete = app
        .client
        .delete(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&other.access_token)
        .send()
        .await
        .unwrap();
    assert_problem(delete, 404, "not_found").await;
    assert_eq!(
        app.get_image(Some(&owner), id).await.status(),
        200,
        "still there, still private"
    );
    let others_list: serde_json::Value = app
        .get(Some(&other), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(others_list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_owner_changes_visibility_and_deletes_everything() {
    let app = spawn_app_with(|c| c.retention_pass_secs = 1).await;
    let owner = app.register("curator").await;
    let image = app
        .upload_testdata(&owner, "photos/Nikon_D70.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap();
    app.wait_processed(&owner, id).await;

    let patched: serde_json::Value = app
        .client
        .patch(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&owner.access_token)
        .json(&json!({"visibility": "public", "alt_text": "a camera test shot", "tags": ["test", "nikon"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["visibility"], "public");
    assert_eq!(patched["alt_text"], "a camera test shot");
    assert_eq!(patched["tags"], json!(["test", "nikon"]));
    assert_eq!(
        app.get_image(None, id).await.status(),
        200,
        "now public: anyone may see it"
    );

    let cleared: serde_json::Value = app
        .client
        .patch(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&owner.access_token)
        .json(&json!({"alt_text": null}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(cleared["alt_text"].is_null());
    assert_eq!(cleared["visibility"], "public", "absent fields stay");

    // Once the AVIF job is done too, so that the check below sees what deletion left, not that job's
    // files landing after it (that job cleans up after itself: see late_variants.rs).
    app.wait_variant_format(&owner, id, "avif").await;
    assert!(!app.stored_blobs().await.is_empty());
    let delete = app
        .client
        .delete(app.url(&format!("/v1/images/{id}")))
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);
    assert_problem(app.get_image(Some(&owner), id).await, 404, "not_found").await;
    assert_problem(
        app.get(Some(&owner), &format!("/v1/images/{id}/original"), &[])
            .await,
        404,
        "not_found",
    )
    .await;
    // Kept, hidden, for the retention window; purged after it.
    assert!(!app.blobs_of(id).await.is_empty());
    app.purge_after_retention(id).await;
    let left = app.stored_blobs().await;
    assert!(left.is_empty(), "blobs left: {:?}", left);
}

/// Others are told the hash of what they can download, the stripped copy, never the upload's: that would let
/// anyone confirm a guess of the unstripped original (GPS and all) against `sha256` or the `ETag`.
#[tokio::test]
async fn others_see_the_hash_of_the_stripped_original_not_the_uploads() {
    use sha2::{Digest, Sha256};

    let app = spawn_app().await;
    let owner = app.register("geotagger").await;
    let stranger = app.register("guesser").await;
    let photo = read_testdata("photos/DSCN0010.jpg");
    let uploaded = hex::encode(Sha256::digest(&photo));
    let image = app
        .upload_testdata(&owner, "photos/DSCN0010.jpg", "public")
        .await;
    let id = image["id"].as_str().unwrap();
    assert_eq!(app.wait_processed(&owner, id).await["sha256"], uploaded);

    for who in [None, Some(&stranger)] {
        let seen = app.read_json(who, &format!("/v1/images/{id}")).await;
        let told = seen["sha256"].as_str().expect("a hash once processed");
        assert_ne!(told, uploaded);
        let original = app
            .get(who, &format!("/v1/images/{id}/original"), &[])
            .await;
        assert_eq!(original.status(), 200);
        assert_eq!(original.headers()["etag"], format!("\"{told}\"").as_str());
        let bytes = original.bytes().await.unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            told,
            "the hash of what is served"
        );
    }
    // The owner still sees, and downloads under, the upload's own hash.
    let mine = app
        .get(Some(&owner), &format!("/v1/images/{id}/original"), &[])
        .await;
    assert_eq!(mine.headers()["etag"], format!("\"{uploaded}\"").as_str());
}
