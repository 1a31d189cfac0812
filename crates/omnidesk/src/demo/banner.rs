//! What the demo prints once it runs: where everything is, how to log in,
//! and three things to try with curl. A pure function of [`DemoInfo`].

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
    line(format!("  API               {server}/api/v1"));
    line(format!("  OpenAPI           {server}/api/openapi.json"));
    line(format!("  Facebook emulator {emulator}/_emulator/"));
    line("  Visitors' Messenger (open one and type to the Page):".into());
    for v in &info.visitors {
        line(format!(
            "    {:<16} → {:<18} {}",
            v.name, v.page_name, v.chat_url
        ));
    }
    line(String::new());
    line(format!("  Logins (password for all: {})", info.password));
    for login in &info.logins {
        line(format!(
            "    {:<6} {:<22} {}",
            login.role, login.email, login.note
        ));
    }
    line(String::new());
    line(
        "  Try it: log in, take the newest missed enquiry (nobody is online), pick it up, reply:"
            .into(),
    );
    let admin = info
        .logins
        .first()
        .map(|l| l.email.as_str())
        .unwrap_or_default();
    let password = &info.password;
    line(format!(
        r#"    CSRF=$(curl -s -c demo.jar -H 'content-type: application/json' -d '{{"email":"{admin}","password":"{password}"}}' {server}/api/v1/auth/login | sed -E 's/.*"csrf_token":"([^"]+)".*/\1/')"#
    ));
    line(format!(
        r#"    E=$(curl -s -b demo.jar '{server}/api/v1/enquiries?status=missed' | sed -E 's/^\{{"items":\[\{{"id":"([^"]+)".*/\1/'); echo "$E""#
    ));
    line(format!(
        r#"    curl -s -b demo.jar -H "X-CSRF-Token: $CSRF" -X POST {server}/api/v1/enquiries/$E/pick-up && curl -s -b demo.jar -H "X-CSRF-Token: $CSRF" -H 'content-type: application/json' -d '{{"text":"Hello from omnidesk!"}}' {server}/api/v1/enquiries/$E/messages"#
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
    fn the_curl_lines_log_in_list_enquiries_and_reply() {
        let text = banner(&info());
        let curls: Vec<_> = text.lines().filter(|l| l.contains("curl ")).collect();
        assert_eq!(curls.len(), 3, "{text}");
        assert!(curls[0].contains("/api/v1/auth/login"));
        assert!(curls[1].contains("/api/v1/enquiries?status=missed"));
        assert!(curls[2].contains("/pick-up") && curls[2].contains("/messages"));
        assert!(curls[2].contains("X-CSRF-Token: $CSRF") && curls[2].contains("$E"));
    }
}
