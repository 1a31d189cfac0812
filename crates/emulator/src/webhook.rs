//! The webhook sender: a background task that batches queued events into
//! Facebook-shaped POSTs (multi-entry, multi-event), signs the ASCII-escaped
//! bytes with both signature headers, retries with backoff until the product
//! answers 200, and unsubscribes the app from the Pages of a batch that kept
//! failing for the whole failure window ("1 hour" on Facebook).

use std::time::Duration;

use serde_json::{json, Value};

use crate::control::types::DeliveryKind;
use crate::world::{QueuedEvent, World};
use crate::AppState;

/// Facebook sends at most this many updates per POST.
const MAX_BATCH: usize = 1000;
/// The delivery log keeps the most recent records only, so a long benchmark
/// does not grow memory without bound.
const MAX_LOG: usize = 10_000;

/// Appends one line to the delivery log.
#[allow(clippy::too_many_arguments)]
pub fn record_delivery(
    world: &mut World,
    kind: DeliveryKind,
    url: &str,
    attempt: u32,
    status: Option<u16>,
    error: Option<String>,
    page_ids: Vec<String>,
    body: String,
) {
    let id = world.deliveries.last().map_or(1, |d| d.id + 1);
    if world.deliveries.len() >= MAX_LOG {
        world.deliveries.remove(0);
    }
    let at_ms = world.now_ms();
    world
        .deliveries
        .push(crate::control::types::DeliveryRecord {
            id,
            kind,
            url: url.to_owned(),
            attempt,
            status,
            error,
            at_ms,
            page_ids,
            body,
        });
}

/// Groups events into entries: one per (Page, messaging|standby), in order
/// of first appearance, each keeping its events in queue order.
pub fn build_body(events: &[QueuedEvent], now_ms: i64) -> Value {
    let mut entries: Vec<(String, bool, Vec<Value>)> = Vec::new();
    for e in events {
        match entries
            .iter_mut()
            .find(|(p, s, _)| *p == e.page_id && *s == e.standby)
        {
            Some((_, _, list)) => list.push(e.event.clone()),
            None => entries.push((e.page_id.clone(), e.standby, vec![e.event.clone()])),
        }
    }
    let entry: Vec<Value> = entries
        .into_iter()
        .map(|(page_id, standby, list)| {
            let key = if standby { "standby" } else { "messaging" };
            json!({"id": page_id, "time": now_ms, key: list})
        })
        .collect();
    json!({"object": "page", "entry": entry})
}

/// Waits for work or shutdown; returns false on shutdown.
async fn pause(state: &AppState, duration: Duration) -> bool {
    let mut shutdown = state.shutdown.clone();
    tokio::select! {
        _ = tokio::time::sleep(duration) => true,
        _ = shutdown.wait_for(|s| *s) => false,
    }
}

pub async fn run_sender(state: AppState) {
    let mut shutdown = state.shutdown.clone();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let has_work = {
            let world = state.lock();
            world.webhook.url.is_some() && !world.outbox.is_empty()
        };
        if !has_work {
            tokio::select! {
                _ = state.wake.notified() => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            continue;
        }
        let window = Duration::from_millis(state.lock().webhook.batch_window_ms);
        if !window.is_zero() && !pause(&state, window).await {
            return;
        }
        let taken = {
            let mut world = state.lock();
            match world.webhook.url.clone() {
                None => None,
                Some(url) => {
                    let n = world.outbox.len().min(MAX_BATCH);
                    let events: Vec<QueuedEvent> = world.outbox.drain(..n).collect();
                    let batches = if world.webhook.reorder {
                        events.into_iter().rev().map(|e| vec![e]).collect()
                    } else {
                        vec![events]
                    };
                    Some((batches, url))
                }
            }
        };
        let Some((batches, url)) = taken else {
            continue;
        };
        for batch in batches {
            if !deliver(&state, &url, batch).await {
                return;
            }
        }
    }
}

/// Delivers one batch until it succeeds or the failure window passes.
/// Returns false when the emulator is shutting down.
async fn deliver(state: &AppState, url: &url::Url, batch: Vec<QueuedEvent>) -> bool {
    let mut page_ids: Vec<String> = batch.iter().map(|e| e.page_id.clone()).collect();
    page_ids.dedup();
    let (body, secret, retry_initial, retry_max) = {
        let world = state.lock();
        (
            // Facebook escapes non-ASCII and `/`; the product must verify these exact bytes.
            messenger::events::to_facebook_json(&build_body(&batch, world.now_ms()), true),
            world.app_secret.clone(),
            world.webhook.retry_initial_ms,
            world.webhook.retry_max_ms,
        )
    };
    let mut first_failure: Option<i64> = None;
    let mut backoff = retry_initial.max(1);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let (status, error) = post_signed(state, url, &body, &secret).await;
        let duplicate = {
            let mut world = state.lock();
            record_delivery(
                &mut world,
                DeliveryKind::Events,
                url.as_str(),
                attempt,
                status,
                error,
                page_ids.clone(),
                body.clone(),
            );
            world.webhook.duplicate
        };
        if status == Some(200) {
            if duplicate {
                let (status, error) = post_signed(state, url, &body, &secret).await;
                let mut world = state.lock();
                record_delivery(
                    &mut world,
                    DeliveryKind::Duplicate,
                    url.as_str(),
                    1,
                    status,
                    error,
                    page_ids.clone(),
                    body.clone(),
                );
            }
            return true;
        }
        if give_up(state, &mut first_failure, url, attempt, &page_ids) {
            return true;
        }
        if !pause(state, Duration::from_millis(backoff)).await {
            return false;
        }
        backoff = (backoff * 2).min(retry_max.max(1));
    }
}

/// After the failure window: unsubscribes the app from the batch's Pages and
/// drops their pending events. Returns true when it gave up.
fn give_up(
    state: &AppState,
    first_failure: &mut Option<i64>,
    url: &url::Url,
    attempt: u32,
    page_ids: &[String],
) -> bool {
    let mut world = state.lock();
    let now = world.now_ms();
    let since = *first_failure.get_or_insert(now);
    if now - since < world.webhook.failure_window_ms as i64 {
        return false;
    }
    tracing::warn!(
        ?page_ids,
        "webhook failing for the whole window: unsubscribing the app"
    );
    for page_id in page_ids {
        if let Some(page) = world.pages.get_mut(page_id) {
            page.subscribed_fields = None;
        }
    }
    world.outbox.retain(|e| !page_ids.contains(&e.page_id));
    record_delivery(
        &mut world,
        DeliveryKind::Unsubscribed,
        url.as_str(),
        attempt,
        None,
        Some("webhook failed for the whole failure window; app unsubscribed from the Page".into()),
        page_ids.to_vec(),
        String::new(),
    );
    true
}

async fn post_signed(
    state: &AppState,
    url: &url::Url,
    body: &str,
    secret: &str,
) -> (Option<u16>, Option<String>) {
    let result = state
        .http
        .post(url.clone())
        .header("Content-Type", "application/json")
        .header("User-Agent", "facebookexternalua")
        .header(
            "X-Hub-Signature-256",
            messenger::signature::sign_sha256(secret.as_bytes(), body.as_bytes()),
        )
        .header(
            "X-Hub-Signature",
            messenger::signature::sign_sha1(secret.as_bytes(), body.as_bytes()),
        )
        .body(body.to_owned())
        .send()
        .await;
    match result {
        Ok(resp) => (Some(resp.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// POSTs `signed_request` to the deauthorize callback, as when a user
/// removes the app in their Facebook settings.
pub async fn send_deauthorize(state: AppState, user_id: String) {
    let (url, signed) = {
        let world = state.lock();
        let Some(url) = world.webhook.deauthorize_url.clone() else {
            return;
        };
        let payload = json!({
            "algorithm": "HMAC-SHA256",
            "issued_at": world.now_ms() / 1000,
            "user_id": user_id,
        });
        (
            url,
            messenger::signed_request::sign(&payload, world.app_secret.as_bytes()),
        )
    };
    let body = serde_urlencoded::to_string([("signed_request", signed.as_str())])
        .expect("a form of strings encodes");
    let result = state
        .http
        .post(url.clone())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("User-Agent", "facebookexternalua")
        .body(body.clone())
        .send()
        .await;
    let (status, error) = match result {
        Ok(resp) => (Some(resp.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let mut world = state.lock();
    record_delivery(
        &mut world,
        DeliveryKind::Deauthorize,
        url.as_str(),
        1,
        status,
        error,
        Vec::new(),
        body,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(page: &str, standby: bool, n: i64) -> QueuedEvent {
        QueuedEvent {
            page_id: page.into(),
            standby,
            event: json!({"timestamp": n}),
        }
    }

    #[test]
    fn events_of_several_pages_become_one_entry_per_page_in_order() {
        let body = build_body(
            &[
                ev("1", false, 1),
                ev("2", false, 2),
                ev("1", false, 3),
                ev("1", true, 4),
            ],
            9,
        );
        let entries = body["entry"].as_array().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0]["id"], "1");
        assert_eq!(entries[0]["messaging"].as_array().unwrap().len(), 2);
        assert_eq!(entries[0]["messaging"][1]["timestamp"], 3);
        assert_eq!(entries[1]["id"], "2");
        assert_eq!(entries[2]["standby"][0]["timestamp"], 4);
        assert!(entries[2].get("messaging").is_none());
    }
}
