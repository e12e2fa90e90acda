//! The `darkroom` binary as an operator (or a container runtime) runs it: `healthcheck` against a real
//! server, and the refusal to start with a secret copied from `.env.example`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const DARKROOM: &str = env!("CARGO_BIN_EXE_darkroom");

/// A command with none of the caller's `DARKROOM_*` settings, so each test says all it sets.
fn darkroom() -> Command {
    let mut command = Command::new(DARKROOM);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("DARKROOM_") {
            command.env_remove(key);
        }
    }
    command.stdin(Stdio::null());
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `darkroom serve` on embedded defaults in a fresh data dir, killed on drop.
struct Server {
    child: Child,
    port: u16,
    _data_dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = darkroom()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir.path())
            .env("DARKROOM_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts darkroom serve");
        Self {
            child,
            port,
            _data_dir: data_dir,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn healthcheck(args: &[&str]) -> Output {
    darkroom()
        .arg("healthcheck")
        .args(args)
        .output()
        .expect("runs darkroom healthcheck")
}

#[test]
fn healthcheck_exits_0_once_a_real_server_is_ready() {
    let server = Server::start();
    let url = format!("http://127.0.0.1:{}", server.port);
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        let output = healthcheck(&["--url", &url]);
        if output.status.success() || Instant::now() > deadline {
            break output;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(ready.status.success(), "{ready:?}");
    // It printed /readyz's report, not just any 200.
    let report: serde_json::Value = serde_json::from_slice(&ready.stdout).expect("readyz JSON");
    assert_eq!(report["status"], "ready");

    // Without --url it asks the port of this config's `listen`, as inside a container.
    let local = darkroom()
        .arg("healthcheck")
        .env("DARKROOM_LISTEN", format!("0.0.0.0:{}", server.port))
        .output()
        .unwrap();
    assert!(local.status.success(), "{local:?}");
}

#[test]
fn healthcheck_exits_1_when_nothing_listens() {
    let output = healthcheck(&["--url", &format!("http://127.0.0.1:{}", free_port())]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("darkroom healthcheck"));
}

/// `/readyz` answers 503 when a backend is down; the probe must call that unhealthy, not just "it answered".
#[test]
fn healthcheck_exits_1_on_a_503() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answering = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let read = stream.read(&mut request).unwrap();
        stream
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 22\r\n\r\n{\"status\":\"unavailable\"}")
            .unwrap();
        String::from_utf8_lossy(&request[..read]).into_owned()
    });
    let output = healthcheck(&["--url", &format!("http://127.0.0.1:{port}")]);
    let request = answering.join().unwrap();
    assert!(request.starts_with("GET /readyz HTTP/1.1\r\n"), "{request}");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("503"));
}

/// The value `.env.example` gives `key`.
fn env_example(key: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.env.example"))
        .expect("reads .env.example");
    text.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!(".env.example has no {key}"))
        .to_string()
}

#[test]
fn serve_and_migrate_refuse_the_example_jwt_secret() {
    let data_dir = tempfile::tempdir().unwrap();
    for command in [&["serve", "--listen", "127.0.0.1:0"][..], &["migrate"][..]] {
        let output = darkroom()
            .args(command)
            .arg("--data-dir")
            .arg(data_dir.path())
            .env("DARKROOM_JWT_SECRET", env_example("DARKROOM_JWT_SECRET"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(stderr.contains("DARKROOM_JWT_SECRET"), "{stderr}");
        assert!(stderr.contains(".env.example"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Refused before anything was written.
    assert_eq!(std::fs::read_dir(data_dir.path()).unwrap().count(), 0);
}

#[test]
fn migrate_refuses_the_example_postgres_password_before_connecting() {
    let url = format!(
        "postgres://darkroom:{}@127.0.0.1:1/darkroom",
        env_example("POSTGRES_PASSWORD")
    );
    let output = darkroom()
        .arg("migrate")
        .env("DARKROOM_DATABASE_URL", url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("database_url"), "{stderr}");
}

/// Deployments set `DARKROOM_AUTO_MIGRATE=false` once for every service, the one-shot migrate service
/// included: `migrate` must create the schema all the same.
#[test]
fn migrate_migrates_even_with_auto_migrate_off() {
    let data_dir = tempfile::tempdir().unwrap();
    let output = darkroom()
        .arg("migrate")
        .arg("--data-dir")
        .arg(data_dir.path())
        .env("DARKROOM_AUTO_MIGRATE", "false")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    // SQLite keeps each table's CREATE statement in the file (or its write-ahead log) as plain text.
    let schema: Vec<u8> = std::fs::read_dir(data_dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("darkroom.sqlite"))
        })
        .flat_map(|path| std::fs::read(path).unwrap())
        .collect();
    let text = String::from_utf8_lossy(&schema);
    assert!(text.contains("CREATE TABLE"), "no table was created");
}
