use darkroom_tests::app::spawn_app;

/// `openapi/openapi.json` is what third parties generate clients from: it must be what the code serves.
#[tokio::test]
async fn committed_document_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json"))
        .expect("openapi/openapi.json exists (regenerate with `cargo run -- openapi > openapi/openapi.json`)");
    let generated = darkroom::api::openapi_json();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is stale: run `cargo run -p darkroom -- openapi > openapi/openapi.json`"
    );

    let app = spawn_app().await;
    let served = app
        .get(None, "/openapi.json", &[])
        .await
        .text()
        .await
        .unwrap();
    let served: serde_json::Value = serde_json::from_str(&served).unwrap();
    let generated: serde_json::Value = serde_json::from_str(generated).unwrap();
    assert_eq!(served, generated);
    assert_eq!(app.get(None, "/docs", &[]).await.status(), 200);
}

#[test]
fn every_operation_id_of_the_contract_is_present() {
    let doc: serde_json::Value = serde_json::from_str(darkroom::api::openapi_json()).unwrap();
    let mut ids = Vec::new();
    for methods in doc["paths"].as_object().unwrap().values() {
        for op in methods.as_object().unwrap().values() {
            ids.push(op["operationId"].as_str().unwrap().to_owned());
        }
    }
    for expected in [
        "register",
        "login",
        "refreshToken",
        "logout",
        "getMe",
        "uploadImage",
        "getImage",
        "listMyImages",
        "updateImage",
        "deleteImage",
        "restoreImage",
        "downloadOriginal",
        "getVariant",
        "transformImage",
        "getLimits",
        "updateMe",
        "getUser",
        "searchUsers",
        "followUser",
        "unfollowUser",
        "listFollowers",
        "listFollowing",
        "createPost",
        "getPost",
        "deletePost",
        "listUserPosts",
        "getTimeline",
        "likePost",
        "unlikePost",
        "listComments",
        "createComment",
        "deleteComment",
        "listNotifications",
        "listFollowRequests",
        "acceptFollowRequest",
        "refuseFollowRequest",
        "markNotificationsRead",
    ] {
        assert!(
            ids.iter().any(|id| id == expected),
            "missing operationId {expected}: {ids:?}"
        );
    }
}

#[test]
fn request_patterns_are_the_domains_rules() {
    let doc = darkroom::api::openapi_json();
    let doc: serde_json::Value = serde_json::from_str(doc).unwrap();
    let props = &doc["components"]["schemas"]["RegisterRequest"]["properties"];
    assert_eq!(
        props["username"]["pattern"],
        darkroom_core::domain::Username::PATTERN
    );
    assert_eq!(
        props["email"]["pattern"],
        darkroom_core::domain::Email::PATTERN
    );
    assert_eq!(
        props["display_name"]["pattern"],
        darkroom_core::domain::DisplayName::PATTERN
    );
    // The social texts: one-line names and queries, multi-line captions, comments and bios.
    use darkroom_core::domain::Lines;
    let schemas = &doc["components"]["schemas"];
    let profile = &schemas["ProfileUpdate"]["properties"];
    assert_eq!(
        profile["display_name"]["pattern"],
        darkroom_core::domain::DisplayName::PATTERN
    );
    for one_line in [&profile["first_name"], &profile["last_name"]] {
        assert_eq!(one_line["pattern"], Lines::ONE_PATTERN);
    }
    for many in [
        &profile["bio"],
        &schemas["NewPost"]["properties"]["caption"],
        &schemas["NewComment"]["properties"]["text"],
    ] {
        assert_eq!(many["pattern"], Lines::MANY_PATTERN);
    }
    let search = doc["paths"]["/v1/users"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "q")
        .unwrap()
        .clone();
    assert_eq!(search["schema"]["pattern"], Lines::ONE_PATTERN);
}
