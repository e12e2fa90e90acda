//! The binary keeps its data dir to itself: the directory is 0700 and what the server writes in it (the
//! database with the password hashes, the queue, the signing key) is 0600, whatever the caller's umask.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_data_dir_and_its_files_are_owner_only() {
    let root = std::env::temp_dir().join(format!("darkroom-perms-{}", std::process::id()));
    let data = root.join("data");
    let mut server = Command::new(env!("CARGO_BIN_EXE_darkroom"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("DARKROOM_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let written = ["darkroom.sqlite", "queue.sqlite", "jwt.secret"].map(|f| data.join(f));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !written.iter().all(|f| f.exists()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();

    assert_eq!(mode(&data), 0o700, "the data dir");
    for file in &written {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    std::fs::remove_dir_all(&root).unwrap();
}
