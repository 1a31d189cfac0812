//! After an event's transaction commits: tell browsers and wake the workers
//! that have new work. Failures here are logged; the data is already safe.

use serde_json::json;
use store::Changes;

use crate::api::enquiries::{EnquiryView, MessageView, VisitorView};
use crate::events::Audience;
use crate::state::AppState;

pub(super) async fn after_commit(state: &AppState, account_id: &str, changes: Changes) {
    if let Some(enquiry) = &changes.enquiry_opened {
        state
            .publish(
                account_id,
                Audience::Account,
                "enquiry.opened",
                json!({"enquiry": EnquiryView::from(enquiry.clone())}),
            )
            .await;
    }
    let created = changes.created.into_iter().chain(changes.welcome.clone());
    for message in created {
        publish_message(state, account_id, "message.created", message).await;
    }
    for message in changes.updated {
        publish_message(state, account_id, "message.updated", message).await;
    }
    if changes.enquiry_opened.is_some() || changes.enquiry_resumed.is_some() {
        state.wake.routing.notify_one();
    }
    if changes.welcome.is_some() {
        state.wake.outbox.notify_one();
    }
    if changes.has_downloads {
        state.wake.media.notify_one();
    }
    if changes.visitor_created {
        state.wake.profiles.notify_one();
    }
}

/// `message.created` / `message.updated` with the message as the API shows it.
pub(super) async fn publish_message(
    state: &AppState,
    account_id: &str,
    kind: &str,
    message: store::Message,
) {
    let detail = match state.store.message_detail(message).await {
        Ok(detail) => detail,
        Err(e) => {
            tracing::warn!(error = %e, kind, "could not read a message for its event");
            return;
        }
    };
    let view = MessageView::from(detail);
    state
        .publish(
            account_id,
            Audience::Account,
            kind,
            json!({"enquiry_id": view.enquiry_id, "visitor_id": view.visitor_id, "message": view}),
        )
        .await;
}

/// `visitor.updated` (profile fetched).
pub(super) async fn publish_visitor(state: &AppState, visitor: store::Visitor) {
    let account_id = visitor.account_id.clone();
    state
        .publish(
            &account_id,
            Audience::Account,
            "visitor.updated",
            json!({"visitor": VisitorView::from(visitor)}),
        )
        .await;
}
