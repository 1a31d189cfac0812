//! The order in which waiting enquiries are served when an agent frees up.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// An enquiry waiting for an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingEnquiry {
    pub id: String,
    /// When the visitor's 24-hour reply window ends.
    pub window_ends_at: Timestamp,
    pub opened_at: Timestamp,
}

/// Sorts so the enquiry closest to losing its reply window comes first (it
/// can least afford to wait), then the oldest; the id breaks exact ties so the
/// order is the same on every node.
pub fn order_waiting(enquiries: &mut [WaitingEnquiry]) {
    enquiries.sort_by(|a, b| {
        (a.window_ends_at, a.opened_at, &a.id).cmp(&(b.window_ends_at, b.opened_at, &b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enquiry(id: &str, window_ends_at: &str, opened_at: &str) -> WaitingEnquiry {
        WaitingEnquiry {
            id: id.into(),
            window_ends_at: window_ends_at.parse().unwrap(),
            opened_at: opened_at.parse().unwrap(),
        }
    }

    #[test]
    fn the_enquiry_whose_window_ends_first_is_served_first_then_the_oldest() {
        let mut waiting = vec![
            enquiry(
                "late-window",
                "2026-03-02T12:00:00Z",
                "2026-03-01T08:00:00Z",
            ),
            enquiry("newer", "2026-03-02T10:00:00Z", "2026-03-01T09:30:00Z"),
            enquiry("older", "2026-03-02T10:00:00Z", "2026-03-01T09:00:00Z"),
            enquiry("urgent", "2026-03-01T10:05:00Z", "2026-03-01T09:45:00Z"),
        ];
        order_waiting(&mut waiting);
        let ids: Vec<&str> = waiting.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["urgent", "older", "newer", "late-window"]);
    }
}
