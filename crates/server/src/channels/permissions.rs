//! The four Page permissions a channel needs, and the words of the consent
//! screen toggle that grants each — so an error can tell the admin exactly
//! what to turn on.

/// Permission and its consent-screen toggle, in the order errors name them.
pub const REQUIRED: [(&str, &str); 4] = messenger::graph::PERMISSION_TOGGLES;

/// The consent-screen toggle of a permission.
pub fn toggle(permission: &str) -> Option<&'static str> {
    REQUIRED
        .iter()
        .find(|(p, _)| *p == permission)
        .map(|(_, t)| *t)
}

/// The required permissions that are not `granted`, in [`REQUIRED`] order,
/// each with its status (`declined`, `expired`, or `missing`).
pub fn missing<'a>(statuses: impl Fn(&str) -> Option<&'a str>) -> Vec<(&'static str, String)> {
    REQUIRED
        .iter()
        .filter_map(|(permission, _)| match statuses(permission) {
            Some("granted") => None,
            Some(other) => Some((*permission, other.to_owned())),
            None => Some((*permission, "missing".to_owned())),
        })
        .collect()
}

/// "The permission pages_messaging was declined. Log in with Facebook
/// again and turn on “Manage and access Page conversations in Messenger”."
pub fn declined_message(permission: &str, status: &str) -> String {
    let how = match status {
        "missing" => "was not granted".to_owned(),
        other => format!("was {other}"),
    };
    match toggle(permission) {
        Some(toggle) => format!(
            "The permission {permission} {how}. Log in with Facebook again and turn on \
             “{toggle}”."
        ),
        None => format!("The permission {permission} {how}. Log in with Facebook again."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declined_permission_is_named_with_its_toggle() {
        let message = declined_message("pages_messaging", "declined");
        assert!(
            message.contains("pages_messaging was declined"),
            "{message}"
        );
        assert!(
            message.contains("Manage and access Page conversations in Messenger"),
            "{message}"
        );
    }

    #[test]
    fn missing_lists_every_permission_not_granted_in_order() {
        let statuses = |p: &str| match p {
            "pages_messaging" => Some("granted"),
            "pages_show_list" => Some("granted"),
            "pages_read_engagement" => Some("declined"),
            _ => None,
        };
        assert_eq!(
            missing(statuses),
            vec![
                ("pages_read_engagement", "declined".to_owned()),
                ("pages_manage_metadata", "missing".to_owned())
            ]
        );
        assert!(missing(|_| Some("granted")).is_empty());
    }

    #[test]
    fn every_required_permission_is_one_the_login_asks_for() {
        for (permission, _) in REQUIRED {
            assert!(messenger::graph::MESSENGER_SCOPES.contains(&permission));
        }
    }
}
