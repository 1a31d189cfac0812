//! Facebook Login attempts: the OAuth `state` (stored only as a hash) bound
//! to the admin's session, and after the callback the user token and the
//! Pages offered for selection (their tokens encrypted by the server).
//!
//! Lifecycle: `started` → (callback takes the state once) `authorized` →
//! (Pages connected) `used`; or `failed` with the reason. A state is taken at
//! most once, so a replayed callback is refused.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{ms, new_id, now, time};
use crate::Store;

/// A Page the logged-in Facebook user manages, as kept on the login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginPage {
    pub id: String,
    pub name: String,
    pub picture_url: Option<String>,
    pub tasks: Vec<String>,
    /// The Page token, encrypted; `None` when Facebook gave none.
    pub access_token_enc: Option<String>,
}

/// One permission and its status (`granted`, `declined`, `expired`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginPermission {
    pub permission: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FacebookLogin {
    pub id: String,
    pub account_id: String,
    pub staff_id: String,
    pub session_hash: String,
    /// `started`, `authorized`, `used` or `failed`.
    pub status: String,
    pub facebook_user_id: Option<String>,
    pub user_token_enc: Option<String>,
    /// `None` until the callback has listed them.
    pub pages: Option<Vec<LoginPage>>,
    pub permissions: Option<Vec<LoginPermission>>,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewFacebookLogin {
    pub staff_id: String,
    pub session_hash: String,
    pub state_hash: String,
    pub expires_at: Timestamp,
}

/// What the callback learned from Facebook.
#[derive(Debug, Clone)]
pub struct LoginAuthorized {
    pub facebook_user_id: String,
    pub user_token_enc: String,
    pub pages: Vec<LoginPage>,
    pub permissions: Vec<LoginPermission>,
}

/// Why a callback's `state` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// No login has this state.
    Unknown,
    /// It was already used (a replayed callback).
    Used,
    Expired,
    /// It belongs to another browser session.
    OtherSession,
}

const COLUMNS: &str = "id, account_id, staff_id, session_hash, status, facebook_user_id, \
    user_token_enc, pages, permissions, error, created_at, expires_at";

fn json_column<T: for<'de> Deserialize<'de>>(
    row: &AnyRow,
    column: &str,
) -> Result<Option<T>, sqlx::Error> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| sqlx::Error::ColumnDecode {
            index: column.to_owned(),
            source: Box::new(e),
        })
}

fn from_row(row: &AnyRow) -> Result<FacebookLogin, sqlx::Error> {
    Ok(FacebookLogin {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        staff_id: row.try_get("staff_id")?,
        session_hash: row.try_get("session_hash")?,
        status: row.try_get("status")?,
        facebook_user_id: row.try_get("facebook_user_id")?,
        user_token_enc: row.try_get("user_token_enc")?,
        pages: json_column(row, "pages")?,
        permissions: json_column(row, "permissions")?,
        error: row.try_get("error")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
    })
}

impl Store {
    /// Starts a login for `staff_id` in this browser session.
    #[tracing::instrument(skip(self, new))]
    pub async fn create_facebook_login(
        &self,
        account_id: &str,
        new: NewFacebookLogin,
    ) -> Result<FacebookLogin, StoreError> {
        let id = new_id();
        let at = now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO facebook_logins (id, account_id, staff_id, session_hash, state_hash,
                                          status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, 'started', $6, $7)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(&new.staff_id)
        .bind(&new.session_hash)
        .bind(&new.state_hash)
        .bind(ms(at))
        .bind(ms(new.expires_at))
        .execute(&mut *tx)
        .await
        .context("starting a Facebook login")?;
        tx.commit().await?;
        self.get_facebook_login(account_id, &id).await
    }

    pub async fn get_facebook_login(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<FacebookLogin, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM facebook_logins WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .context("reading a Facebook login")?;
        from_row(&row).context("reading a Facebook login")
    }

    /// Takes the login of a callback's `state` (by its hash), once: only a
    /// `started`, unexpired login of the same session is taken, and becomes
    /// `authorized`. Anything else says why it is refused.
    #[tracing::instrument(skip_all)]
    pub async fn take_facebook_login_state(
        &self,
        state_hash: &str,
        session_hash: Option<&str>,
        at: Timestamp,
    ) -> Result<Result<FacebookLogin, StateRefusal>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM facebook_logins WHERE state_hash = $1{}",
            self.dialect().for_update()
        ))
        .bind(state_hash)
        .fetch_optional(&mut *tx)
        .await
        .context("reading a Facebook login by state")?;
        let Some(row) = row else {
            return Ok(Err(StateRefusal::Unknown));
        };
        let mut login = from_row(&row).context("reading a Facebook login by state")?;
        if login.status != "started" {
            return Ok(Err(StateRefusal::Used));
        }
        if login.expires_at <= at {
            return Ok(Err(StateRefusal::Expired));
        }
        if session_hash != Some(login.session_hash.as_str()) {
            return Ok(Err(StateRefusal::OtherSession));
        }
        sqlx::query("UPDATE facebook_logins SET status = 'authorized' WHERE id = $1")
            .bind(&login.id)
            .execute(&mut *tx)
            .await
            .context("taking a Facebook login state")?;
        tx.commit().await?;
        login.status = "authorized".into();
        Ok(Ok(login))
    }

    /// Stores what Facebook told the callback.
    #[tracing::instrument(skip(self, authorized))]
    pub async fn set_facebook_login_authorized(
        &self,
        account_id: &str,
        id: &str,
        authorized: LoginAuthorized,
    ) -> Result<FacebookLogin, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE facebook_logins SET facebook_user_id = $1, user_token_enc = $2, pages = $3,
                                        permissions = $4
             WHERE account_id = $5 AND id = $6",
        )
        .bind(&authorized.facebook_user_id)
        .bind(&authorized.user_token_enc)
        .bind(serde_json::to_string(&authorized.pages).expect("pages serialize"))
        .bind(serde_json::to_string(&authorized.permissions).expect("permissions serialize"))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("storing a Facebook login's result")?;
        tx.commit().await?;
        self.get_facebook_login(account_id, id).await
    }

    /// Ends a login: `used` after connecting, or `failed` with the reason.
    /// The user token is no longer needed and is dropped.
    #[tracing::instrument(skip(self))]
    pub async fn finish_facebook_login(
        &self,
        account_id: &str,
        id: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE facebook_logins SET status = $1, error = $2, user_token_enc = NULL
             WHERE account_id = $3 AND id = $4",
        )
        .bind(status)
        .bind(error)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("finishing a Facebook login")?;
        tx.commit().await
    }
}
