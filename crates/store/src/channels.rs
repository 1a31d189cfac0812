//! Channels: one connected Facebook Page each (kind `facebook_messenger`).
//!
//! * A channel is `active`, `suspended` or `disconnected`
//!   ([`ChannelStatus`]); deleting sets the store-level `deleted` state,
//!   which [`Store::get_channel`], [`Store::list_channels`] and
//!   [`Store::find_channel_by_page`] never return. The row stays, so the
//!   visitors, enquiries and messages that point at it stay readable (see
//!   [`Store::get_channel_even_deleted`]).
//! * A Page belongs to at most one account: the unique index `channel_page`
//!   covers every channel that is not deleted, so creating a second one is
//!   `Conflict { constraint: "channel_page" }`.
//! * The Page token (`access_token_enc`, encrypted by the server) is never
//!   part of [`Channel`]; only [`Store::channel_token_enc`] reads it.

use domain::channel::{ChannelName, ChannelStatus};
use domain::messages::MessageSettings;
use domain::routing::{RoutingRule, RoutingSettings, RoutingSettingsInput, TimeZoneName};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{ms, new_id, now, opt_time, time};
use crate::{Dialect, Store};

/// The channel kind of a Facebook Page.
pub const FACEBOOK_MESSENGER: &str = "facebook_messenger";

/// A channel as every part of the product sees it (never its token).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    pub id: String,
    pub account_id: String,
    /// `facebook_messenger`.
    pub kind: String,
    pub name: String,
    pub status: ChannelStatus,
    /// Why the status last changed, for people (`pages_messaging was revoked`).
    pub status_reason: Option<String>,
    pub status_changed_at: Timestamp,
    /// The Page id (`external_id`).
    pub page_id: String,
    pub page_name: String,
    pub picture_url: Option<String>,
    /// App-scoped Facebook user id of the admin whose login connected it.
    pub connected_by: Option<String>,
    pub routing_settings: RoutingSettings,
    pub message_settings: MessageSettings,
    pub last_check_at: Option<Timestamp>,
    /// The last connection check's result (steps with ok/failed and reasons).
    pub last_check: Option<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When it was deleted; only ever `Some` from
    /// [`Store::get_channel_even_deleted`] (status then reads `disconnected`).
    pub deleted_at: Option<Timestamp>,
}

/// A channel to create.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub kind: String,
    pub name: ChannelName,
    pub status: ChannelStatus,
    pub status_reason: Option<String>,
    pub page_id: String,
    pub page_name: String,
    pub picture_url: Option<String>,
    /// The Page token, already encrypted.
    pub access_token_enc: String,
    pub connected_by: Option<String>,
    pub routing_settings: RoutingSettings,
    pub message_settings: MessageSettings,
}

/// A new login's Page access for an existing channel.
#[derive(Debug, Clone)]
pub struct Reconnect {
    pub page_name: String,
    pub picture_url: Option<String>,
    pub access_token_enc: String,
    pub connected_by: Option<String>,
}

/// Changes an admin saves; `None` keeps the current value. Each is replaced
/// as a whole.
#[derive(Debug, Clone, Default)]
pub struct ChannelUpdate {
    pub name: Option<ChannelName>,
    pub routing_settings: Option<RoutingSettings>,
    pub message_settings: Option<MessageSettings>,
}

/// A channel whose scheduled connection check is due, claimed for one checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCheck {
    pub account_id: String,
    pub channel_id: String,
}

pub(crate) const COLUMNS: &str = "id, account_id, kind, name, status, status_reason, \
    status_changed_at, external_id, external_name, picture_url, connected_by, routing_settings, \
    message_settings, last_check_at, last_check, created_at, updated_at";

/// Routing settings as stored. A channel connected before the account had
/// any destination holds an alternative rule with no destinations (routing
/// then finds nobody and the enquiry is missed); the API never saves one.
pub fn routing_from_json(json: &str) -> Result<RoutingSettings, String> {
    let input: RoutingSettingsInput = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if input.destinations.is_empty() && input.rule.trim() == "alternative" {
        return Ok(RoutingSettings {
            rule: RoutingRule::Alternative {
                destinations: Vec::new(),
            },
            sticky: input.sticky,
            time_zone: TimeZoneName::parse("routing.time_zone", &input.time_zone)
                .map_err(|e| e.to_string())?,
        });
    }
    RoutingSettings::parse_stored(&input).map_err(|e| e.to_string())
}

pub fn routing_to_json(settings: &RoutingSettings) -> String {
    serde_json::to_string(&settings.to_input()).expect("routing settings serialize")
}

fn messages_to_json(settings: &MessageSettings) -> String {
    serde_json::to_string(settings).expect("message settings serialize")
}

/// Locks a channel row that the transaction rewrites. `FOR NO KEY UPDATE`
/// on PostgreSQL, not `FOR UPDATE`: rows that merely reference the channel
/// (visitors, enquiries, tallies being written by the inbox and routing
/// workers) take `KEY SHARE` on it, which `FOR UPDATE` would block —
/// deadlocking with a worker that holds one of our enquiries.
fn lock_channel(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => " FOR NO KEY UPDATE",
        Dialect::Sqlite => "",
    }
}

/// Reads a live (not deleted) channel inside a write transaction, locking
/// its row on PostgreSQL so concurrent changes to one channel apply one
/// after another; `NotFound` when there is none.
async fn lock_live_channel(
    conn: &mut AnyConnection,
    dialect: Dialect,
    account_id: &str,
    id: &str,
    context: &'static str,
) -> Result<Channel, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM channels
         WHERE account_id = $1 AND id = $2 AND status <> 'deleted'{}",
        lock_channel(dialect)
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .context(context)?;
    from_row(&row).context(context)
}

/// Whether PostgreSQL aborted the transaction to break a deadlock (or a
/// serialization conflict): the work can simply be done again.
fn is_retryable(error: &StoreError) -> bool {
    match error {
        StoreError::Database { source, .. } => source
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "40P01" || code == "40001"),
        _ => false,
    }
}

fn decode(column: &str, message: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: message.into(),
    }
}

fn from_row(row: &AnyRow) -> Result<Channel, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let status_changed_at = time(row, "status_changed_at")?;
    let (status, deleted_at) = if status == "deleted" {
        (ChannelStatus::Disconnected, Some(status_changed_at))
    } else {
        (
            status
                .parse()
                .map_err(|e: domain::ValidationError| decode("status", e.to_string()))?,
            None,
        )
    };
    let routing: String = row.try_get("routing_settings")?;
    let messages: String = row.try_get("message_settings")?;
    let last_check: Option<String> = row.try_get("last_check")?;
    Ok(Channel {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        status,
        status_reason: row.try_get("status_reason")?,
        status_changed_at,
        page_id: row.try_get("external_id")?,
        page_name: row.try_get("external_name")?,
        picture_url: row.try_get("picture_url")?,
        connected_by: row.try_get("connected_by")?,
        routing_settings: routing_from_json(&routing).map_err(|e| decode("routing_settings", e))?,
        message_settings: serde_json::from_str(&messages)
            .map_err(|e| decode("message_settings", e.to_string()))?,
        last_check_at: opt_time(row, "last_check_at")?,
        last_check: last_check
            .map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| decode("last_check", e.to_string()))?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        deleted_at,
    })
}

impl Store {
    /// Creates a channel. A Page another channel (of any account) holds is
    /// `Conflict { constraint: "channel_page" }`.
    #[tracing::instrument(skip(self, new), fields(page_id = %new.page_id))]
    pub async fn create_channel(
        &self,
        account_id: &str,
        new: NewChannel,
    ) -> Result<Channel, StoreError> {
        let at = now();
        let id = new_id();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO channels (id, account_id, kind, name, status, status_reason,
                 status_changed_at, external_id, external_name, picture_url, access_token_enc,
                 connected_by, routing_settings, message_settings, created_at, updated_at,
                 last_check_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(&new.kind)
        .bind(new.name.as_str())
        .bind(new.status.as_str())
        .bind(&new.status_reason)
        .bind(ms(at))
        .bind(&new.page_id)
        .bind(&new.page_name)
        .bind(&new.picture_url)
        .bind(&new.access_token_enc)
        .bind(&new.connected_by)
        .bind(routing_to_json(&new.routing_settings))
        .bind(messages_to_json(&new.message_settings))
        .bind(ms(at))
        .bind(ms(at))
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .context("creating a channel")?;
        tx.commit().await?;
        self.get_channel(account_id, &id).await
    }

    /// A channel of the account that is not deleted.
    #[tracing::instrument(skip(self))]
    pub async fn get_channel(&self, account_id: &str, id: &str) -> Result<Channel, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels
             WHERE account_id = $1 AND id = $2 AND status <> 'deleted'"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .context("reading a channel")?;
        from_row(&row).context("reading a channel")
    }

    /// A channel even when deleted (`deleted_at` is then set): for showing
    /// past conversations of a deleted channel.
    #[tracing::instrument(skip(self))]
    pub async fn get_channel_even_deleted(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Channel, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .context("reading a channel")?;
        from_row(&row).context("reading a channel")
    }

    /// The account's channels that are not deleted, oldest first.
    #[tracing::instrument(skip(self))]
    pub async fn list_channels(&self, account_id: &str) -> Result<Vec<Channel>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels
             WHERE account_id = $1 AND status <> 'deleted' ORDER BY created_at, id"
        ))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .context("listing channels")?;
        rows.iter()
            .map(from_row)
            .collect::<Result<_, _>>()
            .context("listing channels")
    }

    /// The channel (of any account) that holds this Page, if any: the one
    /// cross-account lookup, for webhooks and for refusing a Page another
    /// account holds.
    #[tracing::instrument(skip(self))]
    pub async fn find_channel_by_page(
        &self,
        kind: &str,
        page_id: &str,
    ) -> Result<Option<Channel>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels
             WHERE kind = $1 AND external_id = $2 AND status <> 'deleted'"
        ))
        .bind(kind)
        .bind(page_id)
        .fetch_optional(&self.pool)
        .await
        .context("finding a channel by Page")?;
        row.as_ref()
            .map(from_row)
            .transpose()
            .context("finding a channel by Page")
    }

    /// Every channel (of any account, not deleted) that the Facebook user
    /// `facebook_user_id` connected: for the deauthorize callback.
    #[tracing::instrument(skip(self))]
    pub async fn channels_connected_by(
        &self,
        kind: &str,
        facebook_user_id: &str,
    ) -> Result<Vec<Channel>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels
             WHERE kind = $1 AND connected_by = $2 AND status <> 'deleted' ORDER BY created_at"
        ))
        .bind(kind)
        .bind(facebook_user_id)
        .fetch_all(&self.pool)
        .await
        .context("listing channels by connecting user")?;
        rows.iter()
            .map(from_row)
            .collect::<Result<_, _>>()
            .context("listing channels by connecting user")
    }

    /// The encrypted Page token of a channel that is not deleted (`None`
    /// when the channel has none).
    #[tracing::instrument(skip(self))]
    pub async fn channel_token_enc(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT access_token_enc FROM channels
             WHERE account_id = $1 AND id = $2 AND status <> 'deleted'",
        )
        .bind(account_id)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .context("reading a channel token")
    }

    /// Sets the status (with the reason people see and when it happened).
    /// Returns the channel as it was *before*, so callers can tell whether
    /// anything changed (and publish an event only then).
    #[tracing::instrument(skip(self))]
    pub async fn set_channel_status(
        &self,
        account_id: &str,
        id: &str,
        status: ChannelStatus,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<Channel, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = lock_live_channel(
            &mut tx,
            self.dialect(),
            account_id,
            id,
            "reading a channel to change its status",
        )
        .await?;
        sqlx::query(
            "UPDATE channels SET status = $1, status_reason = $2, status_changed_at = $3,
                                 updated_at = $4
             WHERE account_id = $5 AND id = $6",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(ms(at))
        .bind(ms(now()))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("changing a channel's status")?;
        tx.commit().await?;
        Ok(before)
    }

    /// Gives an existing channel a new login's Page token and makes it
    /// `active` again (a suspended channel stays suspended: logging in again
    /// only refreshes its access); name and settings are kept.
    #[tracing::instrument(skip(self, reconnect))]
    pub async fn reconnect_channel(
        &self,
        account_id: &str,
        id: &str,
        reconnect: Reconnect,
    ) -> Result<Channel, StoreError> {
        let at = now();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE channels SET
                 status = CASE WHEN status = 'suspended' THEN 'suspended' ELSE 'active' END,
                 status_reason = CASE WHEN status = 'suspended' THEN status_reason ELSE NULL END,
                 status_changed_at = CASE WHEN status = 'suspended' THEN status_changed_at
                                          ELSE $1 END,
                 external_name = $2, picture_url = $3, access_token_enc = $4, connected_by = $5,
                 updated_at = $6, last_check_at = $7, last_check = NULL
             WHERE account_id = $8 AND id = $9 AND status <> 'deleted'",
        )
        .bind(ms(at))
        .bind(&reconnect.page_name)
        .bind(&reconnect.picture_url)
        .bind(&reconnect.access_token_enc)
        .bind(&reconnect.connected_by)
        .bind(ms(at))
        .bind(ms(at))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("reconnecting a channel")?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Replies that waited while the channel was disconnected go out now.
        sqlx::query(
            "UPDATE outbox SET status = 'pending', next_attempt_at = $1
             WHERE account_id = $2 AND channel_id = $3 AND status = 'held'",
        )
        .bind(ms(at))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("releasing held outgoing messages")?;
        tx.commit().await?;
        self.get_channel(account_id, id).await
    }

    /// Saves an admin's changes atomically. New routing settings reset the
    /// channel's percentage tallies (the split starts over).
    #[tracing::instrument(skip(self, update))]
    pub async fn update_channel(
        &self,
        account_id: &str,
        id: &str,
        update: ChannelUpdate,
    ) -> Result<Channel, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut channel = lock_live_channel(
            &mut tx,
            self.dialect(),
            account_id,
            id,
            "reading a channel to update",
        )
        .await?;
        if let Some(name) = update.name {
            channel.name = name.into();
        }
        if let Some(messages) = update.message_settings {
            channel.message_settings = messages;
        }
        if let Some(routing) = update.routing_settings {
            channel.routing_settings = routing;
            sqlx::query("DELETE FROM routing_tallies WHERE account_id = $1 AND channel_id = $2")
                .bind(account_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .context("resetting routing tallies")?;
        }
        channel.updated_at = now();
        sqlx::query(
            "UPDATE channels SET name = $1, routing_settings = $2, message_settings = $3,
                                 updated_at = $4
             WHERE account_id = $5 AND id = $6",
        )
        .bind(&channel.name)
        .bind(routing_to_json(&channel.routing_settings))
        .bind(messages_to_json(&channel.message_settings))
        .bind(ms(channel.updated_at))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("updating a channel")?;
        tx.commit().await?;
        Ok(channel)
    }

    /// Deletes a channel: it leaves every list, its token is dropped, its
    /// open enquiries are closed (`close_reason = 'channel_deleted'`), their
    /// open offers withdrawn, and replies still waiting to be sent fail. Past
    /// conversations stay. Returns the channel as it was.
    #[tracing::instrument(skip(self))]
    pub async fn delete_channel(&self, account_id: &str, id: &str) -> Result<Channel, StoreError> {
        let mut attempt = 1;
        loop {
            match self.delete_channel_once(account_id, id).await {
                Err(e) if attempt < 3 && is_retryable(&e) => attempt += 1,
                result => return result,
            }
        }
    }

    async fn delete_channel_once(&self, account_id: &str, id: &str) -> Result<Channel, StoreError> {
        let at = ms(now());
        let mut tx = self.write_tx().await?;
        let channel = lock_live_channel(
            &mut tx,
            self.dialect(),
            account_id,
            id,
            "reading a channel to delete",
        )
        .await?;
        sqlx::query(
            "UPDATE channels SET status = 'deleted', status_reason = 'deleted by an admin',
                 status_changed_at = $1, updated_at = $2, access_token_enc = NULL
             WHERE account_id = $3 AND id = $4",
        )
        .bind(at)
        .bind(at)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("deleting a channel")?;
        sqlx::query(
            "UPDATE enquiries SET status = 'closed', closed_at = $1, closed_by = 'system',
                 close_reason = 'channel_deleted', route_at = NULL, updated_at = $2
             WHERE account_id = $3 AND channel_id = $4 AND status <> 'closed'",
        )
        .bind(at)
        .bind(at)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("closing enquiries of a deleted channel")?;
        sqlx::query(
            "UPDATE offers SET status = 'withdrawn', resolved_at = $1
             WHERE account_id = $2 AND status = 'open' AND enquiry_id IN
                 (SELECT id FROM enquiries WHERE account_id = $3 AND channel_id = $4)",
        )
        .bind(at)
        .bind(account_id)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("withdrawing offers of a deleted channel")?;
        sqlx::query(
            "UPDATE messages SET status = 'failed', failure_code = 'channel_deleted',
                 failure_reason = 'The channel was deleted before this message could be sent.'
             WHERE account_id = $1 AND id IN (SELECT message_id FROM outbox
                 WHERE account_id = $2 AND channel_id = $3 AND status IN ('pending', 'held'))",
        )
        .bind(account_id)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("failing unsent messages of a deleted channel")?;
        sqlx::query(
            "UPDATE outbox SET status = 'failed', last_error = 'channel deleted'
             WHERE account_id = $1 AND channel_id = $2 AND status IN ('pending', 'held')",
        )
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("failing the outbox of a deleted channel")?;
        tx.commit().await?;
        Ok(channel)
    }

    /// Resuming a channel: enquiries that arrived while it was suspended
    /// (status `routing` with no `route_at`) become due, in arrival order
    /// (`route_at = opened_at`). Returns how many.
    #[tracing::instrument(skip(self))]
    pub async fn release_suspended_enquiries(
        &self,
        account_id: &str,
        channel_id: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE enquiries SET route_at = opened_at
             WHERE account_id = $1 AND channel_id = $2 AND status = 'routing'
               AND route_at IS NULL",
        )
        .bind(account_id)
        .bind(channel_id)
        .execute(&mut *tx)
        .await
        .context("releasing enquiries of a resumed channel")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Records a connection check's result.
    #[tracing::instrument(skip(self, result))]
    pub async fn record_channel_check(
        &self,
        account_id: &str,
        id: &str,
        at: Timestamp,
        result: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE channels SET last_check_at = $1, last_check = $2
             WHERE account_id = $3 AND id = $4 AND status <> 'deleted'",
        )
        .bind(ms(at))
        .bind(result.to_string())
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("recording a connection check")?;
        tx.commit().await
    }

    /// Claims up to `limit` connected channels (active or suspended) whose
    /// last check is older than `due_before`, by stamping `last_check_at =
    /// at`: a channel claimed here is not claimed again (by this node or
    /// another) until it is due again.
    #[tracing::instrument(skip(self))]
    pub async fn claim_due_channel_checks(
        &self,
        due_before: Timestamp,
        at: Timestamp,
        limit: i64,
    ) -> Result<Vec<DueCheck>, StoreError> {
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(&format!(
            "SELECT account_id, id FROM channels
             WHERE status IN ('active', 'suspended')
               AND (last_check_at IS NULL OR last_check_at < $1)
             ORDER BY COALESCE(last_check_at, 0) LIMIT $2{}",
            self.dialect().skip_locked()
        ))
        .bind(ms(due_before))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .context("finding channels due for a check")?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let check = DueCheck {
                account_id: row.try_get("account_id").context("reading a due check")?,
                channel_id: row.try_get("id").context("reading a due check")?,
            };
            sqlx::query("UPDATE channels SET last_check_at = $1 WHERE account_id = $2 AND id = $3")
                .bind(ms(at))
                .bind(&check.account_id)
                .bind(&check.channel_id)
                .execute(&mut *tx)
                .await
                .context("claiming a channel check")?;
            due.push(check);
        }
        tx.commit().await?;
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alternative_rule_without_destinations_is_read_back() {
        let settings = routing_from_json(
            r#"{"rule":"alternative","sticky":false,"time_zone":"UTC","destinations":[]}"#,
        )
        .unwrap();
        assert!(settings.rule.destination_ids().is_empty());
        assert_eq!(
            routing_from_json(&routing_to_json(&settings)).unwrap(),
            settings
        );
    }

    #[test]
    fn other_invalid_stored_routing_is_an_error() {
        let err = routing_from_json(r#"{"rule":"percentage","destinations":[]}"#).unwrap_err();
        assert!(err.contains("destinations"), "{err}");
    }
}
