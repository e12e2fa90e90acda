//! `spawn_app`: a real Darkroom on port 0 with a fresh data dir, driven over HTTP like any client would.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use darkroom::config::{Config, Role};
use darkroom::startup::Application;
use darkroom_core::ports::BlobStore;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the shared test photos live: `DARKROOM_TESTDATA` when set, else `../shared/testdata` beside the
/// repository.
pub fn testdata(relative: &str) -> PathBuf {
    std::env::var_os("DARKROOM_TESTDATA")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
            PathBuf::from,
        )
        .join(relative)
}

pub fn read_testdata(relative: &str) -> Vec<u8> {
    std::fs::read(testdata(relative)).unwrap_or_else(|e| panic!("reading testdata {relative}: {e}"))
}

/// A running server and a client for it.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    /// The operator's listener (`metrics_listen`), when the config asked for one.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub config: Config,
    /// The server's storage, seen directly, to check what is (not) left behind.
    pub storage: Arc<dyn BlobStore>,
    /// The clock of the server's scheduled passes: `advance` it to make time pass for them.
    pub clock: darkroom_core::clock::Clock,
    data_dir: Option<TempDir>,
    /// Started beside another app on its backends (`spawn_sibling`): the other owns them.
    sibling: bool,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A registered account.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub fn test_config(data_dir: &Path) -> Config {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: data_dir.to_path_buf(),
        worker_concurrency: 2,
        shutdown_grace_secs: 30,
        ..Config::default()
    };
    crate::stacks::apply(config)
}

/// Logs go through the test harness, so they show only for failing tests. `DARKROOM_LOG` sets the filter.
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DARKROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// A server on embedded defaults with a fresh data dir.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with the config adjusted first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(dir.path());
    adjust(&mut config);
    start(config, Some(dir)).await
}

async fn start(config: Config, data_dir: Option<TempDir>) -> TestApp {
    init_logs();
    let app = Application::build(config.clone())
        .await
        .expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let clock = app.clock();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let storage = darkroom::backends::storage::connect(&config.storage_url(), false)
        .await
        .expect("storage");
    TestApp {
        address,
        metrics_address,
        client,
        config,
        storage,
        clock,
        data_dir,
        sibling: false,
        stop: Some(stop_tx),
        handle: Some(handle),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The Prometheus text of the operator's listener; the app must have been spawned with
    /// `metrics_listen` (e.g. `127.0.0.1:0`).
    pub async fn metrics(&self) -> String {
        let address = self
            .metrics_address
            .as_ref()
            .expect("spawn the app with metrics_listen to read its metrics");
        self.client
            .get(format!("{address}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Stops gracefully and starts again on the same data dir, with `role`.
    pub async fn restart(self, role: Role) -> TestApp {
        self.restart_with(|config| config.role = role).await
    }

    /// Stops gracefully and starts again on the same data dir and backends, with the config adjusted.
    pub async fn restart_with(mut self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = self.data_dir.take();
        let mut config = self.config.clone();
        // The next app takes over the queue namespace: this one must not remove it when it is dropped.
        self.config.queue_url.clear();
        self.shutdown().await;
        adjust(&mut config);
        start(config, dir).await
    }

    /// A second server on this one's data dir and backends (the same database, storage, queue, cache and
    /// token keys), with the config adjusted, e.g. to another role: as replicas of two roles share them in a
    /// deployment. It listens on a port of its own and leaves the backends to this app.
    pub async fn spawn_sibling(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        config.listen = "127.0.0.1:0".parse().expect("address");
        if config.metrics_listen.is_some() {
            config.metrics_listen = Some("127.0.0.1:0".parse().expect("address"));
        }
        adjust(&mut config);
        let mut sibling = start(config, None).await;
        sibling.sibling = true;
        sibling
    }

    /// Stops gracefully and waits for the server to finish.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }

    pub async fn register(&self, username: &str) -> Account {
        let response = self
            .client
            .post(self.url("/v1/auth/register"))
            .json(&json!({"username": username, "email": format!("{username}@example.org"), "password": "correct horse battery"}))
            .send()
            .await
            .expect("register");
        assert_eq!(response.status(), 201, "register {username}");
        let body: Value = response.json().await.expect("json");
        Account {
            username: username.to_owned(),
            access_token: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
        }
    }

    /// Uploads raw bytes; returns the response.
    pub async fn upload_raw(
        &self,
        who: &Account,
        bytes: Vec<u8>,
        content_type: &str,
        visibility: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/v1/images?visibility={visibility}")))
            .bearer_auth(&who.access_token)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("upload")
    }

    /// Uploads a file from testdata as multipart; returns the image JSON (asserting 202).
    pub async fn upload_testdata(&self, who: &Account, relative: &str, visibility: &str) -> Value {
        let bytes = read_testdata(relative);
        let name = relative.rsplit('/').next().unwrap_or(relative).to_owned();
        let form = reqwest::multipart::Form::new()
            .text("visibility", visibility.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        let response = self
            .client
            .post(self.url("/v1/images"))
            .bearer_auth(&who.access_token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(
            response.status(),
            202,
            "upload {relative}: {:?}",
            response.text().await
        );
        response.json().await.expect("json")
    }

    pub async fn get_image(&self, who: Option<&Account>, id: &str) -> reqwest::Response {
        let mut request = self.client.get(self.url(&format!("/v1/images/{id}")));
        if let Some(who) = who {
            request = request.bearer_auth(&who.access_token);
        }
        request.send().await.expect("getImage")
    }

    /// Polls `getImage` until the image leaves `processing`; returns its JSON.
    pub async fn wait_processed(&self, who: &Account, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let image: Value = self
                .get_image(Some(who), id)
                .await
                .json()
                .await
                .expect("json");
            if image["status"] != "processing" {
                return image;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "image {id} still processing after 120 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls `getImage` until every variant of a ready image lists `format` (made after `ready`, as AVIF
    /// is); returns its JSON.
    pub async fn wait_variant_format(&self, who: &Account, id: &str, format: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let image = self.wait_processed(who, id).await;
            let variants = image["variants"].as_array().cloned().unwrap_or_default();
            let has = |v: &Value| {
                v["formats"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|f| f == format))
            };
            if !variants.is_empty() && variants.iter().all(has) {
                return image;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "image {id} has no {format} variants after 120 s: {image}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Fetches a path with an optional account and extra headers.
    pub async fn get(
        &self,
        who: Option<&Account>,
        path: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(who) = who {
            request = request.bearer_auth(&who.access_token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("GET")
    }

    /// The files a local store keeps for multipart uploads not yet completed (none on other stores).
    pub fn staged_multipart_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        if let Some(root) = self.config.storage_url().strip_prefix("file://") {
            walk(&Path::new(root).join(".multipart"), &mut found);
        }
        found
    }

    /// The keys of one image's blobs: everything under `images/{id}/`.
    pub async fn blobs_of(&self, image_id: &str) -> Vec<String> {
        let prefix = format!("images/{image_id}/");
        self.stored_blobs()
            .await
            .into_iter()
            .filter(|key| key.starts_with(&prefix))
            .collect()
    }

    /// Moves the server's clock a day past the retention window of a deletion made now, then waits until
    /// the purge pass has removed every blob of `image_id`. The test sets `retention_pass_secs` low.
    pub async fn purge_after_retention(&self, image_id: &str) {
        assert!(
            self.config.retention_pass_secs <= 2,
            "set retention_pass_secs low to wait for the purge pass"
        );
        self.clock
            .advance(self.config.retention() + Duration::from_secs(86_400));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = self.blobs_of(image_id).await;
            if left.is_empty() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "blobs of {image_id} still there 60 s after the window closed: {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The key of every blob in the server's storage.
    pub async fn stored_blobs(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .storage
            .list("")
            .await
            .expect("list blobs")
            .into_iter()
            .map(|b| b.key)
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if crate::stacks::current() != "embedded" && !self.sibling {
            crate::stacks::remove_queue_namespace(&self.config.queue_url);
        }
    }
}

/// Asserts a response is a problem+json with `status` and `code`; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["code"], code, "problem {body}");
    assert_eq!(body["status"], status);
    body
}
