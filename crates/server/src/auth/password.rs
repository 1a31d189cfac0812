//! Password hashing with argon2id (OWASP parameters), off the async runtime.
//!
//! Each hash or check takes 19 MiB for a moment. Unbounded, a burst of
//! logins (even with unknown e-mail addresses) runs one per blocking thread
//! and takes the server's memory into gigabytes; so at most one runs per
//! core, the rest wait briefly and are then turned away as busy. They run on
//! one dedicated thread per core, each hashing in its own block of memory,
//! allocated once and reused: the allocator kept freed 19 MiB blocks (up to
//! ~200 MB per thread seen), so allocating per hash on tokio's many blocking
//! threads took memory that never came back.

use std::future::Future;
use std::sync::mpsc;
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

fn argon2() -> Argon2<'static> {
    // 19 MiB, 2 iterations, 1 lane: OWASP's recommended argon2id minimum.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How long a hash or check waits for a free core before giving up.
pub const BUSY_WAIT: Duration = Duration::from_secs(5);
/// What a caller turned away is told to wait before trying again.
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every core was hashing for [`BUSY_WAIT`].
    #[error("the server is busy checking other passwords; try again in a moment")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One permit per core: the most argon2 runs at once.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

/// A job for a hashing thread, given that thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The hashing threads, one per core, taking jobs from one queue.
static HASHING_THREADS: LazyLock<Mutex<mpsc::Sender<Job>>> = LazyLock::new(|| {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = std::sync::Arc::new(Mutex::new(receiver));
    for n in 0..cores() {
        let receiver = receiver.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || {
                let mut memory = Vec::new();
                loop {
                    let job = match receiver.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(&mut memory),
                        Err(_) => return, // the sender is gone: the process ends
                    }
                }
            })
            .expect("starting a password hashing thread");
    }
    Mutex::new(sender)
});

/// Runs `work` on a hashing thread and waits for its answer.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _ = answer.send(work(memory));
    });
    HASHING_THREADS
        .lock()
        .map_err(|_| anyhow::anyhow!("the hashing queue is poisoned"))?
        .send(job)
        .map_err(|_| anyhow::anyhow!("the hashing threads are gone"))?;
    answered.await.context("a hashing thread dropped its job")
}

/// Runs `work` holding a permit of `limit`, waiting at most `wait` for one.
async fn bounded<T>(
    limit: &Semaphore,
    wait: Duration,
    work: impl Future<Output = anyhow::Result<T>>,
) -> Result<T, PasswordError> {
    let _permit = tokio::time::timeout(wait, limit.acquire())
        .await
        .map_err(|_| PasswordError::Busy)?
        .context("the hashing semaphore is closed")?;
    Ok(work.await?)
}

/// A PHC-format argon2id hash of `password`.
pub async fn hash_password(password: String) -> Result<String, PasswordError> {
    bounded(&HASHING, BUSY_WAIT, hash_now(password)).await
}

async fn hash_now(password: String) -> anyhow::Result<String> {
    on_hashing_thread(move |memory| hash_with(&argon2(), password.as_bytes(), memory)).await?
}

/// Hashes in `memory` (grown to the parameters' size once, then reused).
fn hash_with(argon2: &Argon2, password: &[u8], memory: &mut Vec<Block>) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = argon2.params().clone();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let output = compute(
        argon2,
        password,
        salt_bytes,
        Params::DEFAULT_OUTPUT_LEN,
        memory,
    )?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// The raw argon2 output of `len` bytes, computed in `memory`.
fn compute(
    argon2: &Argon2,
    password: &[u8],
    salt: &[u8],
    len: usize,
    memory: &mut Vec<Block>,
) -> anyhow::Result<Output> {
    let blocks = argon2.params().block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Output::init_with(len, |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(|_| password_hash::Error::Crypto)
    })
    .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Whether `password` matches `hash`. With `hash = None` (unknown e-mail) it
/// still spends the same work on a dummy hash, so response time does not
/// reveal which e-mail addresses exist.
pub async fn verify_password(
    hash: Option<String>,
    password: String,
) -> Result<bool, PasswordError> {
    bounded(&HASHING, BUSY_WAIT, verify_now(hash, password)).await
}

async fn verify_now(hash: Option<String>, password: String) -> anyhow::Result<bool> {
    on_hashing_thread(move |memory| {
        let known = hash.is_some();
        let hash = match hash {
            Some(hash) => hash,
            None => dummy_hash(memory)?.to_owned(),
        };
        let matches = verify_with(&hash, password.as_bytes(), memory)?;
        Ok(known && matches)
    })
    .await?
}

/// Whether `password` gives the stored PHC `hash` (computed in `memory`;
/// compared in constant time by `Output`'s equality).
fn verify_with(hash: &str, password: &[u8], memory: &mut Vec<Block>) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let algorithm =
        Algorithm::try_from(parsed.algorithm).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| anyhow::anyhow!("stored hash: {e}"))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        anyhow::bail!("stored hash: no salt or no hash");
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let argon2 = Argon2::new(algorithm, version, params);
    let computed = compute(&argon2, password, salt_bytes, expected.len(), memory)?;
    Ok(computed == expected)
}

fn dummy_hash(memory: &mut Vec<Block>) -> anyhow::Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_with(&argon2(), b"not a real password", memory)?;
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let mut memory = Vec::new();
        // Ours verify with the argon2 crate's own verifier…
        let ours = hash_with(&argon2(), b"correct horse battery", &mut memory).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(argon2().verify_password(b"wrong", &parsed).is_err());
        // …and hashes stored before (made by it) verify with ours.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2()
            .hash_password(b"old password 1", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with(&theirs, b"old password 1", &mut memory).unwrap());
        assert!(!verify_with(&theirs, b"old password 2", &mut memory).unwrap());
        assert_eq!(memory.len(), 19 * 1024, "one block of memory, reused");
    }

    #[tokio::test]
    async fn work_beyond_the_limit_waits_then_is_turned_away_as_busy() {
        let limit = Semaphore::new(1);
        let held = limit.acquire().await.unwrap();
        let wait = Duration::from_millis(50);
        let turned_away = bounded(&limit, wait, async { Ok(1) }).await;
        assert!(matches!(turned_away, Err(PasswordError::Busy)));
        drop(held);
        assert_eq!(bounded(&limit, wait, async { Ok(2) }).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn the_right_password_matches_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password(Some(hash.clone()), "correct horse battery".into())
                .await
                .unwrap()
        );
        assert!(!verify_password(Some(hash), "wrong".into()).await.unwrap());
        assert!(!verify_password(None, "not a real password".into())
            .await
            .unwrap());
    }
}
