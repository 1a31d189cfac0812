//! Fresh databases for tests (feature `testing`).
//!
//! [`TestDatabase::sqlite`] makes a file in a new temporary directory;
//! [`TestDatabase::postgres`] creates `omnidesk_test_<uuid>` on the server at
//! `OMNIDESK_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drops it, with
//! `WITH (FORCE)`, when the `TestDatabase` is dropped. An unreachable
//! PostgreSQL fails the test with a message saying so: a suite that silently
//! skips a backend proves nothing about it.
//!
//! Both constructors are synchronous (the PostgreSQL work runs on a helper
//! thread with its own runtime), so they work inside and outside async tests,
//! and in `Drop`.

use std::future::Future;

use sqlx::{Connection, Executor, PgConnection};

use crate::{Store, StoreError};

/// Where the PostgreSQL test server is, unless `OMNIDESK_TEST_POSTGRES_URL` says.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to give [`Store::connect`] (or the server's config).
    pub url: String,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new, empty SQLite file in its own temporary directory (removed on drop).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("creating a temporary directory for SQLite");
        let path = dir.path().join("omnidesk.db");
        Self {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite { _dir: dir },
        }
    }

    /// A new, empty PostgreSQL database (dropped on drop).
    ///
    /// # Panics
    /// When the PostgreSQL server cannot be reached or refuses to create it.
    pub fn postgres() -> Self {
        let admin_url = std::env::var("OMNIDESK_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let name = format!("omnidesk_test_{}", uuid::Uuid::new_v4().simple());
        let create = format!("CREATE DATABASE {name}");
        let result = on_helper_thread({
            let admin_url = admin_url.clone();
            async move {
                let mut conn = PgConnection::connect(&admin_url).await?;
                conn.execute(create.as_str()).await?;
                conn.close().await
            }
        });
        if let Err(e) = result {
            panic!(
                "PostgreSQL test database could not be created at {admin_url} \
                 (set OMNIDESK_TEST_POSTGRES_URL to a server where user may CREATE DATABASE): {e}"
            );
        }
        let url = with_database(&admin_url, &name);
        Self {
            url,
            backend: Backend::Postgres { admin_url, name },
        }
    }

    /// PostgreSQL when `OMNIDESK_TEST_DATABASE=postgres`, SQLite otherwise.
    pub fn from_env() -> Self {
        match std::env::var("OMNIDESK_TEST_DATABASE").as_deref() {
            Ok("postgres") | Ok("postgresql") => Self::postgres(),
            _ => Self::sqlite(),
        }
    }

    /// Connects a store to this database and applies the migrations.
    pub async fn store(&self) -> Result<Store, StoreError> {
        let store = Store::connect(&self.url).await?;
        store.migrate().await?;
        Ok(store)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Backend::Postgres { admin_url, name } = &self.backend {
            let admin_url = admin_url.clone();
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let result = on_helper_thread(async move {
                let mut conn = PgConnection::connect(&admin_url).await?;
                conn.execute(drop.as_str()).await?;
                conn.close().await
            });
            if let Err(e) = result {
                // Not a panic: a panic in Drop during unwinding would abort
                // and hide the test's own failure.
                eprintln!("could not drop test database {name}: {e}");
            }
        }
    }
}

/// Runs `work` to completion on a new thread with its own small runtime, so
/// it can be called from sync code, from inside a runtime, and from `Drop`.
fn on_helper_thread<F>(work: F) -> Result<(), sqlx::Error>
where
    F: Future<Output = Result<(), sqlx::Error>> + Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("building a runtime for test database setup")
            .block_on(work)
    })
    .join()
    .expect("the test database helper thread panicked")
}

/// The same server URL with another database name (keeps query parameters).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_replaces_the_one_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/db?sslmode=disable", "t1"),
            "postgres://u:p@h:1/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
    }
}
