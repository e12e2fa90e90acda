use darkroom::config::Role;
use darkroom_tests::app::spawn_app_with;

/// Images and queued jobs survive a restart: uploads made while no worker ran are processed after it.
#[tokio::test]
async fn a_restart_keeps_images_and_finishes_queued_jobs() {
    let app = spawn_app_with(|c| c.role = Role::Api).await;
    let me = app.register("persistent").await;
    let mut ids = Vec::new();
    for photo in ["Canon_40D.jpg", "Nikon_D70.jpg", "landscape_3.jpg"] {
        let image = app
            .upload_testdata(&me, &format!("photos/{photo}"), "private")
            .await;
        ids.push(image["id"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for id in &ids {
        assert_eq!(
            app.get_image(Some(&me), id)
                .await
                .json::<serde_json::Value>()
                .await
                .unwrap()["status"],
            "processing"
        );
    }

    let app = app.restart(Role::All).await;
    // Same data dir, same signing key: the old session still works.
    for id in &ids {
        let image = app.wait_processed(&me, id).await;
        assert_eq!(image["status"], "ready", "{image}");
    }
    let page: serde_json::Value = app
        .get(Some(&me), "/v1/me/images", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
}
