//! Metadata for analysts (issue 11): with `analytics_url` set, every ready image's metadata reaches gzip
//! NDJSON batches under `analytics/date=YYYY-MM-DD/`, once per batch, without GPS or names; a batch still
//! open when the server stops is written before it exits.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use darkroom_tests::app::{spawn_app_with, TestApp};
use darkroom_tests::social::eventually;
use flate2::read::GzDecoder;
use serde_json::Value;

/// Where a test's batches go: beside its data dir, as a storage URL of their own.
fn export_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("exported")
}

/// Every batch written so far: its path under the export dir and its lines.
fn batches(dir: &Path) -> Vec<(String, Vec<Value>)> {
    let mut found = Vec::new();
    let Ok(days) = std::fs::read_dir(dir.join("analytics")) else {
        return found;
    };
    for day in days {
        let day = day.unwrap().path();
        for file in std::fs::read_dir(&day).unwrap() {
            let path = file.unwrap().path();
            let mut text = String::new();
            GzDecoder::new(std::fs::File::open(&path).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            let lines = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            found.push((path.strip_prefix(dir).unwrap().display().to_string(), lines));
        }
    }
    found
}

async fn upload_ready(app: &TestApp, who: &darkroom_tests::app::Account, photo: &str) -> Value {
    let image = app.upload_testdata(who, photo, "private").await;
    let image = app.wait_processed(who, image["id"].as_str().unwrap()).await;
    assert_eq!(image["status"], "ready", "{image}");
    image
}

#[tokio::test]
async fn ready_images_reach_daily_gzip_batches_once_each_without_gps_or_names() {
    let app = spawn_app_with(|c| {
        c.analytics_url = Some(format!("file://{}", export_dir(&c.data_dir).display()));
        c.analytics_flush_secs = 1;
        c.analytics_batch_records = 2;
    })
    .await;
    let dir = export_dir(app.data_dir());
    let me = app.register("analyst_subject").await;
    // DSCN0010.jpg carries GPS coordinates; Canon_40D.jpg a camera make and model.
    let mut uploaded = Vec::new();
    for photo in [
        "photos/DSCN0010.jpg",
        "photos/Canon_40D.jpg",
        "photos/landscape_1.jpg",
    ] {
        uploaded.push(upload_ready(&app, &me, photo).await);
    }
    let wanted: HashSet<String> = uploaded
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();

    let written = eventually("every ready image exported", || {
        let written = batches(&dir);
        let ids: HashSet<String> = written
            .iter()
            .flat_map(|(_, lines)| {
                lines
                    .iter()
                    .map(|l| l["image_id"].as_str().unwrap().to_owned())
            })
            .collect();
        let missing = wanted.difference(&ids).count();
        async move {
            if missing == 0 {
                Ok(written)
            } else {
                Err(format!("{missing} missing"))
            }
        }
    })
    .await;

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for (path, lines) in &written {
        assert!(
            path.starts_with(&format!("analytics/date={today}/")),
            "{path}"
        );
        assert!(path.ends_with(".ndjson.gz"), "{path}");
        assert!(
            lines.len() <= 2,
            "analytics_batch_records is 2: {path} has {}",
            lines.len()
        );
        let ids: HashSet<&str> = lines
            .iter()
            .map(|l| l["image_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids.len(),
            lines.len(),
            "an image twice in one batch: {path}"
        );
    }
    assert!(
        written.len() >= 2,
        "three images in batches of two make two batches at least"
    );

    let lines: Vec<&Value> = written.iter().flat_map(|(_, lines)| lines).collect();
    for image in &uploaded {
        let line = lines
            .iter()
            .find(|l| l["image_id"] == image["id"])
            .expect("exported");
        assert_eq!(line["format"], image["format"]);
        assert_eq!(line["bytes"], image["bytes"]);
        assert_eq!(line["width"], image["width"]);
        assert_eq!(line["height"], image["height"]);
        assert_eq!(line["auto_tags"], image["auto_tags"]);
        assert_eq!(line["owner_id"].as_str().unwrap().len(), 36, "{line}");
        let created =
            chrono::DateTime::parse_from_rfc3339(line["created_at"].as_str().unwrap()).unwrap();
        let ready =
            chrono::DateTime::parse_from_rfc3339(line["ready_at"].as_str().unwrap()).unwrap();
        assert!(ready >= created, "{line}");
    }
    let canon = lines
        .iter()
        .find(|l| {
            l["camera_model"]
                .as_str()
                .is_some_and(|m| m.contains("40D"))
        })
        .expect("the Canon's model is kept");
    assert_eq!(canon["camera_make"], "Canon");
    assert!(canon["taken_at"].is_string(), "{canon}");
    // No GPS, no names: neither the owner's nor the file's, in any line.
    for line in &lines {
        let text = line.to_string().to_ascii_lowercase();
        for leak in [
            "gps",
            "latitude",
            "longitude",
            "analyst_subject",
            "dscn0010",
            "canon_40d",
            "username",
        ] {
            assert!(!text.contains(leak), "{leak} in {line}");
        }
    }
}

#[tokio::test]
async fn a_batch_still_open_at_shutdown_is_written_before_the_server_exits() {
    let mut app = spawn_app_with(|c| {
        c.analytics_url = Some(format!("file://{}", export_dir(&c.data_dir).display()));
        // Nothing would be written for an hour, or before ten thousand images.
        c.analytics_flush_secs = 3600;
    })
    .await;
    let dir = export_dir(app.data_dir());
    let me = app.register("last_one").await;
    let image = upload_ready(&app, &me, "photos/jolla.jpg").await;
    // Give the exporter time to take the fact into its batch; nothing is written meanwhile.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert!(batches(&dir).is_empty(), "written before it was due");
    app.shutdown().await;
    let written = batches(&dir);
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0].1.len(), 1);
    assert_eq!(written[0].1[0]["image_id"], image["id"]);
}
