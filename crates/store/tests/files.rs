//! The SQLite database holds customers' conversations: its folder, file,
//! WAL and shared-memory files are the owner's only, whatever the umask.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_new_sqlite_database_and_its_wal_are_readable_by_the_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("data/omnidesk.db");
    let store = store::Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(mode(&root.path().join("data")), 0o700);
    assert_eq!(mode(&db), 0o600);
    let wal = root.path().join("data/omnidesk.db-wal");
    assert!(wal.exists(), "WAL mode writes a -wal file");
    assert_eq!(mode(&wal), 0o600);
    store.close().await;
}
