//! After an event's transaction commits: tell browsers and wake the workers
//! that have new work. Failures here are logged; the data is already safe.

use store::Changes;

use crate::api::enquiries::{EnquiryView, VisitorView};
use crate::events::{Audience, EnquiryOpenedData, LiveEvent, VisitorUpdatedData};
use crate::state::AppState;

pub(super) async fn after_commit(state: &AppState, account_id: &str, changes: Changes) {
    if let Some(enquiry) = &changes.enquiry_opened {
        state
            .publish(
                account_id,
                Audience::Account,
                LiveEvent::EnquiryOpened(EnquiryOpenedData {
                    enquiry: EnquiryView::from(enquiry.clone()),
                }),
            )
            .await;
    }
    let created = changes.created.into_iter().chain(changes.welcome.clone());
    for message in created {
        state
            .publish_message(LiveEvent::MessageCreated, message)
            .await;
    }
    for message in changes.updated {
        state
            .publish_message(LiveEvent::MessageUpdated, message)
            .await;
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

/// `visitor.updated` (profile fetched).
pub(super) async fn publish_visitor(state: &AppState, visitor: store::Visitor) {
    let account_id = visitor.account_id.clone();
    state
        .publish(
            &account_id,
            Audience::Account,
            LiveEvent::VisitorUpdated(VisitorUpdatedData {
                visitor: VisitorView::from(visitor),
            }),
        )
        .await;
}
