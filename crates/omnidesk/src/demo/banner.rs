//! What the demo prints once it runs: the web app to open and how to log
//! in, then the visitors' Messenger windows to write from, then the rest
//! (emulator, API). A pure function of [`DemoInfo`].

use super::DemoInfo;

/// The banner printed at start.
pub fn banner(info: &DemoInfo) -> String {
    let server = info.server_url.as_str().trim_end_matches('/');
    let emulator = info.emulator_url.as_str().trim_end_matches('/');
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "omnidesk demo is running — data in {}{}",
        info.data_dir.display(),
        if info.first_start {
            " (seeded just now)"
        } else {
            " (reused)"
        }
    ));
    line(String::new());
    let admin = info
        .logins
        .first()
        .map(|l| l.email.as_str())
        .unwrap_or_default();
    line(format!(
        "  Open {server}/ (the web app) and log in as {admin}, or as an agent below."
    ));
    line(format!("  Logins (password for all: {})", info.password));
    for login in &info.logins {
        line(format!(
            "    {:<6} {:<22} {}",
            login.role, login.email, login.note
        ));
    }
    line(String::new());
    line(
        "  Visitors' Messenger (open one, type to the Page, and the enquiry shows up in the web app):"
            .into(),
    );
    for v in &info.visitors {
        line(format!(
            "    {:<16} → {:<18} {}",
            v.name, v.page_name, v.chat_url
        ));
    }
    line(String::new());
    line(format!("  Facebook emulator {emulator}/_emulator/"));
    line(format!(
        "  API               {server}/api/v1 (described at {server}/api/openapi.json)"
    ));
    line(String::new());
    line("  Ctrl-C stops the server and the emulator.".into());
    out
}

#[cfg(test)]
mod tests {
    use super::super::{DemoInfo, DemoLogin, VisitorLink};
    use super::*;

    fn info() -> DemoInfo {
        DemoInfo {
            server_url: "http://127.0.0.1:8080/".parse().unwrap(),
            emulator_url: "http://127.0.0.1:8090/".parse().unwrap(),
            data_dir: "./data/demo".into(),
            password: "demo-secret-1".into(),
            first_start: true,
            logins: vec![
                DemoLogin {
                    role: "admin".into(),
                    email: "admin@demo.example".into(),
                    note: String::new(),
                },
                DemoLogin {
                    role: "agent".into(),
                    email: "sales@demo.example".into(),
                    note: "Sales".into(),
                },
            ],
            visitors: vec![VisitorLink {
                name: "Vera Visitor".into(),
                page_name: "Demo Company Shop".into(),
                page_id: "990000000000001".into(),
                psid: "880000000000001".into(),
                chat_url: "http://127.0.0.1:8090/_emulator/chat/990000000000001/880000000000001"
                    .parse()
                    .unwrap(),
            }],
        }
    }

    #[test]
    fn the_banner_names_every_url_a_user_needs() {
        let text = banner(&info());
        for expected in [
            "http://127.0.0.1:8080/api/v1",
            "http://127.0.0.1:8080/api/openapi.json",
            "http://127.0.0.1:8090/_emulator/",
            "http://127.0.0.1:8090/_emulator/chat/990000000000001/880000000000001",
        ] {
            assert!(text.contains(expected), "missing {expected} in\n{text}");
        }
    }

    #[test]
    fn the_banner_prints_the_logins_and_their_password() {
        let text = banner(&info());
        assert!(text.contains("admin@demo.example"), "{text}");
        assert!(text.contains("sales@demo.example"), "{text}");
        assert!(text.contains("demo-secret-1"), "{text}");
    }

    #[test]
    fn the_banner_leads_with_the_web_app_then_logins_then_visitors() {
        let text = banner(&info());
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            lines[1].starts_with(
                "  Open http://127.0.0.1:8080/ (the web app) and log in as admin@demo.example"
            ),
            "{text}"
        );
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} in\n{text}"))
        };
        assert!(at("Open http://127.0.0.1:8080/") < at("Logins (password for all"));
        assert!(at("Logins (password for all") < at("Visitors' Messenger"));
        assert!(at("Visitors' Messenger") < at("Facebook emulator"));
        assert!(!text.contains("curl "), "no curl lines: {text}");
    }
}
