//! Files and folders in the data directory hold customers' files, the
//! database and the data key: only the server's own user may read them
//! (folders 0700, files 0600), whatever the process umask.

use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents, each readable by the owner only.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates (or truncates) `path` for writing, readable by the owner only;
/// its folder is created first if missing.
pub async fn create_private_file(path: &Path) -> io::Result<tokio::fs::File> {
    if let Some(dir) = path.parent() {
        let dir = dir.to_owned();
        tokio::task::spawn_blocking(move || create_private_dir_all(&dir))
            .await
            .map_err(io::Error::other)??;
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).await
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn folders_and_files_are_the_owners_only() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("a/b/file.bin");
        create_private_file(&path).await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&root.path().join("a/b")), 0o700);
    }
}
