//! Applying one inbound event (a message, an echo, a reaction, a receipt…) to
//! the conversation, in one transaction, exactly once.
//!
//! The server turns each webhook item into an [`InboundEvent`]; this module
//! knows nothing of Messenger's JSON. Every event carries its dedupe key: the
//! key is recorded in `inbox_events` in the same transaction as the change, so
//! a redelivery or a repeat after a crash is recognised and skipped.

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};

use crate::enquiries::{enquiry_from_row, read_enquiry, Enquiry, ENQUIRY_COLUMNS};
use crate::error::{Context, StoreError};
use crate::messages::{message_from_row, read_message, Message, MESSAGE_COLUMNS};
use crate::rows::{ms, new_id, now, truncate};
use crate::visitors::{read_visitor, visitor_from_row, Visitor, VISITOR_COLUMNS};
use crate::Store;

/// One event to apply, already routed to its channel.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEvent {
    /// The delivery it came in (kept with the dedupe key).
    pub inbox_id: String,
    /// Equal for redeliveries of the same event, different otherwise.
    pub dedupe_key: String,
    pub account_id: String,
    pub channel_id: String,
    /// The visitor's id on the channel (PSID).
    pub psid: String,
    /// The event's own time.
    pub at: Timestamp,
    /// Delivered as `standby`: another app owns the thread (store, never route).
    pub standby: bool,
    pub item: InboundItem,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundItem {
    /// The visitor wrote, tapped a button or a quick reply: opens an enquiry
    /// when the visitor has none open on the channel.
    VisitorMessage(NewInboundMessage),
    /// Something the visitor did that is kept in the conversation but opens
    /// nothing (a referral, an opt-in, an event of an unknown kind).
    VisitorActivity(NewInboundMessage),
    /// A message the Page sent. `from_us`: sent by this product (matched to
    /// our outbound message by mid or `metadata`); otherwise someone answered
    /// from another app, e.g. Facebook's own Page inbox.
    Echo {
        from_us: bool,
        metadata: Option<String>,
        message: NewInboundMessage,
    },
    /// The visitor reacted to message `target` (a mid); `None` removes their reaction.
    Reaction {
        target: String,
        reaction: Option<Reaction>,
    },
    /// The visitor edited message `target`.
    Edit {
        target: String,
        text: Option<String>,
        num_edit: Option<i64>,
    },
    /// Messages `mids`, and every Page message before `watermark`, were delivered.
    Delivery { mids: Vec<String>, watermark: i64 },
    /// Every Page message up to `watermark` was read.
    Read { watermark: i64 },
    /// The handover protocol moved the thread: to this app (`ours`; the open
    /// enquiry leaves standby and may be routed) or away from it (standby).
    ThreadControl { ours: bool, payload: String },
}

/// A reaction's name (`love`, `like`, …) and emoji.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub reaction: String,
    pub emoji: Option<String>,
}

/// A message to store as it arrived.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewInboundMessage {
    /// The mid, when the event has one.
    pub external_id: Option<String>,
    /// `text`, `attachment`, `sticker`, `postback`, `quick_reply`, `referral`, `optin`, `unknown`, …
    pub kind: String,
    pub text: Option<String>,
    /// JSON text: payloads, referral, the raw item of unknown kinds.
    pub payload: Option<String>,
    pub reply_to_external_id: Option<String>,
    pub attachments: Vec<NewInboundAttachment>,
}

/// A file or link of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundAttachment {
    /// `image`, `audio`, `video`, `file`, `sticker`, `fallback`, …
    pub kind: String,
    pub source_url: Option<String>,
    /// Fetch `source_url` into the product's storage (media); `false` keeps
    /// it as a link (`remote`).
    pub download: bool,
}

/// The outcome of [`Store::apply_inbound`].
#[derive(Debug, Clone, PartialEq)]
pub enum InboundOutcome {
    /// Already applied before (redelivery or repeat after a crash).
    Duplicate,
    /// Cannot be applied yet (e.g. an edit of a message that has not arrived);
    /// nothing was written. Try again later.
    Deferred(String),
    Done(Box<Changes>),
}

/// What an applied event changed, for events to browsers and wake-ups.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    pub visitor: Option<Visitor>,
    /// The visitor is new: fetch their profile.
    pub visitor_created: bool,
    /// The message the event added to the conversation.
    pub created: Option<Message>,
    /// Messages it changed (edits, reactions, receipts, matched echoes).
    pub updated: Vec<Message>,
    /// An enquiry it opened (queued, for routing).
    pub enquiry_opened: Option<Enquiry>,
    /// A standby enquiry became ours to route (the thread came back).
    pub enquiry_resumed: Option<Enquiry>,
    /// The welcome message it queued.
    pub welcome: Option<Message>,
    /// The new message has files to download.
    pub has_downloads: bool,
}

impl Store {
    /// Applies one event exactly once: everything it changes, and its dedupe
    /// key, commit together.
    pub async fn apply_inbound(&self, event: &InboundEvent) -> Result<InboundOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let seen: Option<String> =
            sqlx::query_scalar("SELECT dedupe_key FROM inbox_events WHERE dedupe_key = $1")
                .bind(&event.dedupe_key)
                .fetch_optional(&mut *tx)
                .await
                .context("looking up a processed event")?;
        if seen.is_some() {
            tx.rollback().await?;
            return Ok(InboundOutcome::Duplicate);
        }
        let outcome = apply(&mut tx, event).await?;
        match outcome {
            InboundOutcome::Deferred(_) => {
                tx.rollback().await?;
            }
            _ => {
                sqlx::query(
                    "INSERT INTO inbox_events (dedupe_key, inbox_id, processed_at)
                     VALUES ($1, $2, $3)",
                )
                .bind(&event.dedupe_key)
                .bind(&event.inbox_id)
                .bind(ms(now()))
                .execute(&mut *tx)
                .await
                .context("recording a processed event")?;
                tx.commit().await?;
            }
        }
        Ok(outcome)
    }
}

async fn apply(
    conn: &mut AnyConnection,
    event: &InboundEvent,
) -> Result<InboundOutcome, StoreError> {
    let at = truncate(event.at);
    match &event.item {
        InboundItem::VisitorMessage(message) => visitor_message(conn, event, message, true).await,
        InboundItem::VisitorActivity(message) => visitor_message(conn, event, message, false).await,
        InboundItem::Echo {
            from_us,
            metadata,
            message,
        } => echo(conn, event, *from_us, metadata.as_deref(), message).await,
        InboundItem::ThreadControl { ours, payload } => {
            thread_control(conn, event, *ours, payload).await
        }
        InboundItem::Reaction { target, reaction } => {
            let Some(target) = find_by_mid(conn, &event.channel_id, target).await? else {
                return Ok(InboundOutcome::Deferred(format!(
                    "reaction to unknown message {target}"
                )));
            };
            match reaction {
                Some(r) => {
                    sqlx::query(
                        "DELETE FROM message_reactions
                         WHERE account_id = $1 AND message_id = $2 AND reactor = 'visitor'",
                    )
                    .bind(&event.account_id)
                    .bind(&target.id)
                    .execute(&mut *conn)
                    .await
                    .context("replacing a reaction")?;
                    sqlx::query(
                        "INSERT INTO message_reactions
                             (account_id, message_id, reactor, reaction, emoji, created_at)
                         VALUES ($1, $2, 'visitor', $3, $4, $5)",
                    )
                    .bind(&event.account_id)
                    .bind(&target.id)
                    .bind(&r.reaction)
                    .bind(&r.emoji)
                    .bind(ms(at))
                    .execute(&mut *conn)
                    .await
                    .context("storing a reaction")?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM message_reactions
                         WHERE account_id = $1 AND message_id = $2 AND reactor = 'visitor'",
                    )
                    .bind(&event.account_id)
                    .bind(&target.id)
                    .execute(&mut *conn)
                    .await
                    .context("removing a reaction")?;
                }
            }
            let visitor = touch_visitor(conn, event, at).await?;
            Ok(done(Changes {
                visitor: Some(visitor),
                updated: vec![target],
                ..Changes::default()
            }))
        }
        InboundItem::Edit {
            target,
            text,
            num_edit,
        } => {
            let Some(message) = find_by_mid(conn, &event.channel_id, target).await? else {
                return Ok(InboundOutcome::Deferred(format!(
                    "edit of unknown message {target}"
                )));
            };
            let latest: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(num_edit) FROM message_edits WHERE account_id = $1 AND message_id = $2",
            )
            .bind(&event.account_id)
            .bind(&message.id)
            .fetch_one(&mut *conn)
            .await
            .context("reading a message's edits")?;
            // An older edit arriving after a newer one goes into the history
            // but does not overwrite the newer text.
            let is_newest = match (num_edit, latest) {
                (Some(n), Some(l)) => *n > l,
                _ => message.edited_at.is_none_or(|e| e <= at),
            };
            sqlx::query(
                "INSERT INTO message_edits
                     (account_id, message_id, previous_text, new_text, num_edit, edited_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&event.account_id)
            .bind(&message.id)
            .bind(&message.text)
            .bind(text)
            .bind(num_edit)
            .bind(ms(at))
            .execute(&mut *conn)
            .await
            .context("storing an edit")?;
            if is_newest {
                sqlx::query(
                    "UPDATE messages SET text = $1, edited_at = $2
                     WHERE account_id = $3 AND id = $4",
                )
                .bind(text)
                .bind(ms(at))
                .bind(&event.account_id)
                .bind(&message.id)
                .execute(&mut *conn)
                .await
                .context("applying an edit")?;
            }
            let updated = read_message(&mut *conn, &event.account_id, &message.id).await?;
            Ok(done(Changes {
                updated: vec![updated],
                ..Changes::default()
            }))
        }
        InboundItem::Delivery { mids, watermark } => {
            let Some(visitor) = find_visitor(conn, &event.channel_id, &event.psid).await? else {
                return Ok(done(Changes::default()));
            };
            let mut ids = Vec::new();
            for mid in mids {
                let id: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM messages WHERE channel_id = $1 AND external_id = $2
                       AND direction = 'outbound' AND status = 'sent'",
                )
                .bind(&event.channel_id)
                .bind(mid)
                .fetch_optional(&mut *conn)
                .await
                .context("finding a delivered message")?;
                ids.extend(id);
            }
            let by_watermark: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM messages WHERE account_id = $1 AND visitor_id = $2
                   AND direction = 'outbound' AND status = 'sent' AND sent_at <= $3",
            )
            .bind(&event.account_id)
            .bind(&visitor.id)
            .bind(watermark)
            .fetch_all(&mut *conn)
            .await
            .context("finding delivered messages")?;
            for id in by_watermark {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            let mut updated = Vec::new();
            for id in ids {
                sqlx::query(
                    "UPDATE messages SET status = 'delivered', delivered_at = $1
                     WHERE account_id = $2 AND id = $3 AND status = 'sent'",
                )
                .bind(ms(at))
                .bind(&event.account_id)
                .bind(&id)
                .execute(&mut *conn)
                .await
                .context("marking a message delivered")?;
                updated.push(read_message(&mut *conn, &event.account_id, &id).await?);
            }
            Ok(done(Changes {
                visitor: Some(visitor),
                updated,
                ..Changes::default()
            }))
        }
        InboundItem::Read { watermark } => {
            let Some(visitor) = find_visitor(conn, &event.channel_id, &event.psid).await? else {
                return Ok(done(Changes::default()));
            };
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM messages WHERE account_id = $1 AND visitor_id = $2
                   AND direction = 'outbound' AND status IN ('sent', 'delivered')
                   AND sent_at <= $3",
            )
            .bind(&event.account_id)
            .bind(&visitor.id)
            .bind(watermark)
            .fetch_all(&mut *conn)
            .await
            .context("finding read messages")?;
            let mut updated = Vec::new();
            for id in ids {
                sqlx::query(
                    "UPDATE messages SET status = 'read', read_at = $1,
                         delivered_at = COALESCE(delivered_at, $2)
                     WHERE account_id = $3 AND id = $4",
                )
                .bind(ms(at))
                .bind(ms(at))
                .bind(&event.account_id)
                .bind(&id)
                .execute(&mut *conn)
                .await
                .context("marking a message read")?;
                updated.push(read_message(&mut *conn, &event.account_id, &id).await?);
            }
            Ok(done(Changes {
                visitor: Some(visitor),
                updated,
                ..Changes::default()
            }))
        }
    }
}

fn done(changes: Changes) -> InboundOutcome {
    InboundOutcome::Done(Box::new(changes))
}

/// A message, postback or other activity of the visitor.
async fn visitor_message(
    conn: &mut AnyConnection,
    event: &InboundEvent,
    message: &NewInboundMessage,
    opens: bool,
) -> Result<InboundOutcome, StoreError> {
    let at = truncate(event.at);
    if let Some(mid) = &message.external_id {
        if find_by_mid(conn, &event.channel_id, mid).await?.is_some() {
            return Ok(InboundOutcome::Duplicate);
        }
    }
    let (visitor, visitor_created) = visitor_for(conn, event).await?;
    // A referral or opt-in (opening the thread from a link) may come first;
    // the welcome answers the first thing the visitor actually sends.
    let earlier: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages
         WHERE account_id = $1 AND visitor_id = $2 AND direction = 'inbound' AND standby = 0
           AND kind NOT IN ('referral', 'optin', 'unknown')",
    )
    .bind(&event.account_id)
    .bind(&visitor.id)
    .fetch_one(&mut *conn)
    .await
    .context("counting a visitor's messages")?;
    let first_message = earlier == 0;
    let mut changes = Changes {
        visitor_created,
        ..Changes::default()
    };
    let open = open_enquiry(conn, &event.account_id, &event.channel_id, &visitor.id).await?;
    let enquiry_id = match open {
        Some(enquiry) => {
            sqlx::query(
                "UPDATE enquiries SET
                     last_inbound_at = CASE WHEN last_inbound_at < $1 THEN $2 ELSE last_inbound_at END,
                     opened_at = CASE WHEN opened_at > $3 THEN $4 ELSE opened_at END,
                     updated_at = $5
                 WHERE account_id = $6 AND id = $7",
            )
            .bind(ms(at))
            .bind(ms(at))
            .bind(ms(at))
            .bind(ms(at))
            .bind(ms(now()))
            .bind(&event.account_id)
            .bind(&enquiry.id)
            .execute(&mut *conn)
            .await
            .context("updating an enquiry")?;
            if opens && enquiry.standby && !event.standby {
                sqlx::query(
                    "UPDATE enquiries SET standby = 0, updated_at = $1
                     WHERE account_id = $2 AND id = $3",
                )
                .bind(ms(now()))
                .bind(&event.account_id)
                .bind(&enquiry.id)
                .execute(&mut *conn)
                .await
                .context("resuming a standby enquiry")?;
                changes.enquiry_resumed =
                    Some(read_enquiry(&mut *conn, &event.account_id, &enquiry.id).await?);
            }
            Some(enquiry.id)
        }
        None if opens => {
            let id = new_id();
            let stamp = ms(now());
            sqlx::query(
                "INSERT INTO enquiries (id, account_id, channel_id, visitor_id, status, standby,
                     opened_at, last_inbound_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9)",
            )
            .bind(&id)
            .bind(&event.account_id)
            .bind(&event.channel_id)
            .bind(&visitor.id)
            .bind(i64::from(event.standby))
            .bind(ms(at))
            .bind(ms(at))
            .bind(stamp)
            .bind(stamp)
            .execute(&mut *conn)
            .await
            .context("opening an enquiry")?;
            // What came before with no enquiry open (the referral of the link
            // the visitor came from, a Page-inbox message) belongs to this one.
            sqlx::query(
                "UPDATE messages SET enquiry_id = $1
                 WHERE account_id = $2 AND visitor_id = $3 AND enquiry_id IS NULL",
            )
            .bind(&id)
            .bind(&event.account_id)
            .bind(&visitor.id)
            .execute(&mut *conn)
            .await
            .context("attaching earlier messages to an enquiry")?;
            changes.enquiry_opened = Some(read_enquiry(&mut *conn, &event.account_id, &id).await?);
            Some(id)
        }
        None => None,
    };
    let created = insert_message(
        conn,
        event,
        &visitor.id,
        enquiry_id.as_deref(),
        ("inbound", "visitor", "received"),
        message,
        None,
    )
    .await?;
    changes.has_downloads = message.attachments.iter().any(|a| a.download);
    changes.created = Some(created);
    sqlx::query(
        "UPDATE visitors SET
             last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < $1
                                    THEN $2 ELSE last_inbound_at END,
             updated_at = $3
         WHERE account_id = $4 AND id = $5",
    )
    .bind(ms(at))
    .bind(ms(at))
    .bind(ms(now()))
    .bind(&event.account_id)
    .bind(&visitor.id)
    .execute(&mut *conn)
    .await
    .context("recording a visitor's message time")?;
    if opens && first_message && !event.standby && visitor.welcomed_at.is_none() {
        changes.welcome = welcome(conn, event, &visitor.id, enquiry_id.as_deref()).await?;
    }
    changes.visitor = Some(read_visitor(&mut *conn, &event.account_id, &visitor.id).await?);
    Ok(done(changes))
}

/// A handover: note it in the conversation and flip the open enquiry's
/// standby flag (routing admits only enquiries that are not on standby).
async fn thread_control(
    conn: &mut AnyConnection,
    event: &InboundEvent,
    ours: bool,
    payload: &str,
) -> Result<InboundOutcome, StoreError> {
    let (visitor, visitor_created) = visitor_for(conn, event).await?;
    let open = open_enquiry(conn, &event.account_id, &event.channel_id, &visitor.id).await?;
    let mut changes = Changes {
        visitor_created,
        ..Changes::default()
    };
    if let Some(enquiry) = &open {
        if enquiry.standby == ours {
            sqlx::query(
                "UPDATE enquiries SET standby = $1, updated_at = $2
                 WHERE account_id = $3 AND id = $4",
            )
            .bind(i64::from(!ours))
            .bind(ms(now()))
            .bind(&event.account_id)
            .bind(&enquiry.id)
            .execute(&mut *conn)
            .await
            .context("moving an enquiry in or out of standby")?;
            if ours {
                changes.enquiry_resumed =
                    Some(read_enquiry(&mut *conn, &event.account_id, &enquiry.id).await?);
            }
        }
    }
    let note = NewInboundMessage {
        kind: "thread_control".into(),
        text: Some(if ours {
            "The conversation was handed over to omnidesk.".into()
        } else {
            "Another app took over the conversation.".into()
        }),
        payload: Some(payload.to_owned()),
        ..NewInboundMessage::default()
    };
    let created = insert_message(
        conn,
        event,
        &visitor.id,
        open.as_ref().map(|e| e.id.as_str()),
        ("inbound", "system", "received"),
        &note,
        None,
    )
    .await?;
    changes.created = Some(created);
    changes.visitor = Some(read_visitor(&mut *conn, &event.account_id, &visitor.id).await?);
    Ok(done(changes))
}

/// Queues the channel's welcome message (unless the channel is not active:
/// automatic messages are not even queued then) and marks the visitor welcomed.
async fn welcome(
    conn: &mut AnyConnection,
    event: &InboundEvent,
    visitor_id: &str,
    enquiry_id: Option<&str>,
) -> Result<Option<Message>, StoreError> {
    let row = sqlx::query(
        "SELECT status, message_settings FROM channels WHERE account_id = $1 AND id = $2",
    )
    .bind(&event.account_id)
    .bind(&event.channel_id)
    .fetch_one(&mut *conn)
    .await
    .context("reading a channel's message settings")?;
    let status: String = row.try_get("status").context("reading a channel")?;
    if status != "active" {
        return Ok(None);
    }
    let settings: String = row
        .try_get("message_settings")
        .context("reading a channel")?;
    let text = serde_json::from_str::<domain::messages::MessageSettings>(&settings)
        .map(|s| s.welcome_message.as_str().to_owned())
        .unwrap_or_else(|_| domain::messages::DEFAULT_WELCOME_MESSAGE.to_owned());
    let id = new_id();
    let stamp = ms(now());
    // Same shape as `Store::enqueue_outgoing` (metadata = own id), written in
    // this transaction so the welcome goes out exactly once.
    sqlx::query(
        "INSERT INTO messages (id, account_id, channel_id, visitor_id, enquiry_id, direction,
             author, kind, text, metadata, standby, status, sent_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'outbound', 'system', 'text', $6, $7, 0, 'queued', $8, $9)",
    )
    .bind(&id)
    .bind(&event.account_id)
    .bind(&event.channel_id)
    .bind(visitor_id)
    .bind(enquiry_id)
    .bind(&text)
    .bind(&id)
    .bind(stamp)
    .bind(stamp)
    .execute(&mut *conn)
    .await
    .context("storing the welcome message")?;
    sqlx::query(
        "INSERT INTO outbox (message_id, account_id, channel_id, visitor_id, status, is_human,
             attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, 'pending', 0, 0, $5, $6)",
    )
    .bind(&id)
    .bind(&event.account_id)
    .bind(&event.channel_id)
    .bind(visitor_id)
    .bind(stamp)
    .bind(stamp)
    .execute(&mut *conn)
    .await
    .context("queueing the welcome message")?;
    sqlx::query("UPDATE visitors SET welcomed_at = $1 WHERE account_id = $2 AND id = $3")
        .bind(stamp)
        .bind(&event.account_id)
        .bind(visitor_id)
        .execute(&mut *conn)
        .await
        .context("marking a visitor welcomed")?;
    Ok(Some(
        read_message(&mut *conn, &event.account_id, &id).await?,
    ))
}

/// An echo: ours is matched to the outbound message (by mid or metadata,
/// whichever arrived first); anyone else's becomes a Page message.
async fn echo(
    conn: &mut AnyConnection,
    event: &InboundEvent,
    from_us: bool,
    metadata: Option<&str>,
    message: &NewInboundMessage,
) -> Result<InboundOutcome, StoreError> {
    let mid = message.external_id.as_deref().unwrap_or_default();
    if from_us {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE channel_id = $1 AND direction = 'outbound'
               AND (external_id = $2 OR metadata = $3 OR id = $4)"
        );
        let meta = metadata.unwrap_or("\u{0}no metadata");
        let row = sqlx::query(&sql)
            .bind(&event.channel_id)
            .bind(mid)
            .bind(meta)
            .bind(meta)
            .fetch_optional(&mut *conn)
            .await
            .context("matching an echo")?;
        if let Some(row) = row {
            let ours = message_from_row(&row).context("decoding a message")?;
            sqlx::query(
                "UPDATE messages SET external_id = COALESCE(external_id, $1),
                     status = CASE WHEN status IN ('queued', 'sending') THEN 'sent' ELSE status END
                 WHERE account_id = $2 AND id = $3",
            )
            .bind(mid)
            .bind(&ours.account_id)
            .bind(&ours.id)
            .execute(&mut *conn)
            .await
            .context("matching an echo")?;
            let updated = read_message(&mut *conn, &ours.account_id, &ours.id).await?;
            return Ok(done(Changes {
                updated: vec![updated],
                ..Changes::default()
            }));
        }
    }
    if find_by_mid(conn, &event.channel_id, mid).await?.is_some() {
        return Ok(InboundOutcome::Duplicate);
    }
    let (visitor, visitor_created) = visitor_for(conn, event).await?;
    let open = open_enquiry(conn, &event.account_id, &event.channel_id, &visitor.id).await?;
    let created = insert_message(
        conn,
        event,
        &visitor.id,
        open.as_ref().map(|e| e.id.as_str()),
        ("outbound", "page", "sent"),
        message,
        metadata,
    )
    .await?;
    Ok(done(Changes {
        visitor: Some(visitor),
        visitor_created,
        created: Some(created),
        has_downloads: message.attachments.iter().any(|a| a.download),
        ..Changes::default()
    }))
}

async fn insert_message(
    conn: &mut AnyConnection,
    event: &InboundEvent,
    visitor_id: &str,
    enquiry_id: Option<&str>,
    (direction, author, status): (&str, &str, &str),
    message: &NewInboundMessage,
    metadata: Option<&str>,
) -> Result<Message, StoreError> {
    let id = new_id();
    let stamp = ms(now());
    sqlx::query(
        "INSERT INTO messages (id, account_id, channel_id, visitor_id, enquiry_id, direction,
             author, kind, text, payload, reply_to_external_id, external_id, metadata, standby,
             status, sent_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&id)
    .bind(&event.account_id)
    .bind(&event.channel_id)
    .bind(visitor_id)
    .bind(enquiry_id)
    .bind(direction)
    .bind(author)
    .bind(&message.kind)
    .bind(&message.text)
    .bind(&message.payload)
    .bind(&message.reply_to_external_id)
    .bind(&message.external_id)
    .bind(metadata)
    .bind(i64::from(event.standby))
    .bind(status)
    .bind(ms(truncate(event.at)))
    .bind(stamp)
    .execute(&mut *conn)
    .await
    .context("storing a message")?;
    for (position, file) in message.attachments.iter().enumerate() {
        let (status, next) = if file.download && file.source_url.is_some() {
            ("pending", Some(stamp))
        } else {
            ("remote", None)
        };
        sqlx::query(
            "INSERT INTO attachments (id, account_id, message_id, position, kind, status,
                 source_url, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)",
        )
        .bind(new_id())
        .bind(&event.account_id)
        .bind(&id)
        .bind(position as i64)
        .bind(&file.kind)
        .bind(status)
        .bind(&file.source_url)
        .bind(next)
        .bind(stamp)
        .execute(&mut *conn)
        .await
        .context("storing an attachment")?;
    }
    read_message(&mut *conn, &event.account_id, &id).await
}

/// The visitor of the event, created (profile pending) when new.
async fn visitor_for(
    conn: &mut AnyConnection,
    event: &InboundEvent,
) -> Result<(Visitor, bool), StoreError> {
    if let Some(visitor) = find_visitor(conn, &event.channel_id, &event.psid).await? {
        return Ok((visitor, false));
    }
    let id = new_id();
    let stamp = ms(now());
    sqlx::query(
        "INSERT INTO visitors (id, account_id, channel_id, external_id, profile_status,
             profile_attempts, profile_next_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&event.account_id)
    .bind(&event.channel_id)
    .bind(&event.psid)
    .bind(stamp)
    .bind(stamp)
    .bind(stamp)
    .execute(&mut *conn)
    .await
    .context("creating a visitor")?;
    Ok((
        read_visitor(&mut *conn, &event.account_id, &id).await?,
        true,
    ))
}

/// Records that the visitor did something (reaction): the window reopens.
async fn touch_visitor(
    conn: &mut AnyConnection,
    event: &InboundEvent,
    at: Timestamp,
) -> Result<Visitor, StoreError> {
    let (visitor, _) = visitor_for(conn, event).await?;
    sqlx::query(
        "UPDATE visitors SET
             last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < $1
                                    THEN $2 ELSE last_inbound_at END
         WHERE account_id = $3 AND id = $4",
    )
    .bind(ms(at))
    .bind(ms(at))
    .bind(&event.account_id)
    .bind(&visitor.id)
    .execute(&mut *conn)
    .await
    .context("recording a visitor's activity")?;
    read_visitor(&mut *conn, &event.account_id, &visitor.id).await
}

async fn find_visitor(
    conn: &mut AnyConnection,
    channel_id: &str,
    psid: &str,
) -> Result<Option<Visitor>, StoreError> {
    let sql = format!(
        "SELECT {VISITOR_COLUMNS} FROM visitors WHERE channel_id = $1 AND external_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(channel_id)
        .bind(psid)
        .fetch_optional(&mut *conn)
        .await
        .context("finding a visitor")?;
    row.as_ref()
        .map(visitor_from_row)
        .transpose()
        .context("decoding a visitor")
}

async fn open_enquiry(
    conn: &mut AnyConnection,
    account_id: &str,
    channel_id: &str,
    visitor_id: &str,
) -> Result<Option<Enquiry>, StoreError> {
    let sql = format!(
        "SELECT {ENQUIRY_COLUMNS} FROM enquiries
         WHERE account_id = $1 AND channel_id = $2 AND visitor_id = $3 AND status <> 'closed'"
    );
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(channel_id)
        .bind(visitor_id)
        .fetch_optional(&mut *conn)
        .await
        .context("finding an open enquiry")?;
    row.as_ref()
        .map(enquiry_from_row)
        .transpose()
        .context("decoding an enquiry")
}

async fn find_by_mid(
    conn: &mut AnyConnection,
    channel_id: &str,
    mid: &str,
) -> Result<Option<Message>, StoreError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel_id = $1 AND external_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(channel_id)
        .bind(mid)
        .fetch_optional(&mut *conn)
        .await
        .context("finding a message by mid")?;
    row.as_ref()
        .map(message_from_row)
        .transpose()
        .context("decoding a message")
}
