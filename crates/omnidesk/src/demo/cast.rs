//! The demo's cast, fixed so every start builds the same world: the
//! company's staff and teams, the Facebook user who administers its two
//! Pages, and the visitors who write to them.
//!
//! Page ids and PSIDs are fixed because the database remembers them: the
//! emulator forgets everything when it stops, and re-creating the same ids
//! on the next start is what lets stored channels, visitors and enquiries
//! line up with the new emulator.

/// The account every demo login belongs to.
pub const ACCOUNT_NAME: &str = "Demo Company";

/// A staff member of the demo account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    /// `admin` or `agent`.
    pub role: &'static str,
}

/// The admin whose login the banner prints.
pub const ADMIN: Person = Person {
    email: "admin@demo.example",
    first_name: "Ada",
    last_name: "Admin",
    role: "admin",
};

/// A destination and the agent who staffs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Team {
    pub name: &'static str,
    pub agent: Person,
}

/// The two destinations, in the order alternative routing tries them.
pub const TEAMS: [Team; 2] = [
    Team {
        name: "Sales",
        agent: Person {
            email: "sales@demo.example",
            first_name: "Sam",
            last_name: "Seller",
            role: "agent",
        },
    },
    Team {
        name: "Support",
        agent: Person {
            email: "support@demo.example",
            first_name: "Sasha",
            last_name: "Helper",
            role: "agent",
        },
    },
];

/// The Facebook user (in the emulator) who administers both Pages and
/// whose Facebook Login connects them.
pub const PAGE_ADMIN_NAME: &str = "Dana Demo";

/// The tasks a Page admin needs for the Page to be connected for messaging.
pub const PAGE_TASKS: [&str; 3] = ["MANAGE", "MODERATE", "MESSAGING"];

/// A Facebook Page of the demo company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoPage {
    pub id: &'static str,
    pub name: &'static str,
}

pub const PAGES: [DemoPage; 2] = [
    DemoPage {
        id: "990000000000001",
        name: "Demo Company Shop",
    },
    DemoPage {
        id: "990000000000002",
        name: "Demo Company Help",
    },
];

/// Someone who writes to one of the Pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoVisitor {
    pub psid: &'static str,
    /// Index into [`PAGES`].
    pub page: usize,
    pub first_name: &'static str,
    pub last_name: &'static str,
}

pub const VISITORS: [DemoVisitor; 3] = [
    DemoVisitor {
        psid: "880000000000001",
        page: 0,
        first_name: "Vera",
        last_name: "Visitor",
    },
    DemoVisitor {
        psid: "880000000000002",
        page: 0,
        first_name: "Victor",
        last_name: "Guest",
    },
    DemoVisitor {
        psid: "880000000000003",
        page: 1,
        first_name: "Wanda",
        last_name: "Caller",
    },
];

/// On the first start the first visitor writes this, so the enquiry list
/// has something in it from the beginning.
pub const FIRST_MESSAGE: &str = "Hi! Is the blue city bike still available in size M?";

/// The Facebook app the demo's server and emulator share. Demo values: they
/// never leave this machine.
pub const APP_ID: &str = "100000000000001";
pub const APP_SECRET: &str = "demo-app-secret";
pub const VERIFY_TOKEN: &str = "demo-verify-token";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visitor_writes_to_a_page_of_the_demo() {
        for visitor in VISITORS {
            assert!(visitor.page < PAGES.len(), "{visitor:?}");
        }
        let mut psids: Vec<_> = VISITORS.iter().map(|v| v.psid).collect();
        psids.dedup();
        assert_eq!(psids.len(), VISITORS.len(), "PSIDs are unique");
    }

    #[test]
    fn each_page_has_at_least_one_visitor() {
        for (i, page) in PAGES.iter().enumerate() {
            assert!(VISITORS.iter().any(|v| v.page == i), "{page:?}");
        }
    }
}
