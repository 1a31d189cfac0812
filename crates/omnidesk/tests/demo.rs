//! `omnidesk demo` end to end: started in-process on free ports over a
//! temporary data dir, driven through real HTTP and the emulator.

use std::time::{Duration, Instant};

use omnidesk::demo::{self, DemoHandle, DemoOptions};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn options(data_dir: &std::path::Path) -> DemoOptions {
    DemoOptions {
        data_dir: data_dir.to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        emulator_listen: "127.0.0.1:0".parse().unwrap(),
    }
}

/// A logged-in admin session against the demo's server.
struct Admin {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Admin {
    async fn login(demo: &DemoHandle) -> Self {
        let info = demo.info();
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let base = info.server_url.as_str().trim_end_matches('/').to_owned();
        let response = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": info.logins[0].email, "password": info.password}))
            .send()
            .await
            .expect("login answers");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the printed admin logs in"
        );
        let body: Value = response.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().expect("csrf token").to_owned();
        Self { http, base, csrf }
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The enquiry (id, status) whose messages include `text`, if any.
    async fn enquiry_with(&self, text: &str) -> Option<(String, String)> {
        let list = self.get("/api/v1/enquiries").await;
        for enquiry in list["items"].as_array().expect("items") {
            let id = enquiry["id"].as_str().unwrap();
            let messages = self.get(&format!("/api/v1/enquiries/{id}/messages")).await;
            let has = messages["items"]
                .as_array()
                .expect("message items")
                .iter()
                .any(|m| m["text"] == text);
            if has {
                return Some((
                    id.to_owned(),
                    enquiry["status"].as_str().unwrap().to_owned(),
                ));
            }
        }
        None
    }

    /// Both demo channels, asserted active, with their routing.
    async fn assert_both_channels_active(&self) -> Vec<Value> {
        let channels = self.get("/api/v1/channels").await;
        let items = channels["items"].as_array().expect("channel items").clone();
        assert_eq!(items.len(), 2, "{channels}");
        for channel in &items {
            assert_eq!(channel["status"], "active", "{channel}");
        }
        items
    }
}

/// Polls `check` every 50 ms for up to 15 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_a_working_contact_center_and_keeps_it_working_after_a_restart() {
    let data_dir = tempfile::tempdir().unwrap();

    // First start: seeded.
    let first = demo::start(options(data_dir.path()))
        .await
        .expect("demo starts");
    assert!(first.info().first_start);
    let password = first.info().password.clone();
    // The banner leads with the web app, which is served there under a CSP
    // that lets the emulator's (plain http) profile pictures in.
    let text = omnidesk::demo::banner::banner(first.info());
    let web_app = first.info().server_url.as_str().to_owned();
    assert!(
        text.lines()
            .nth(2)
            .is_some_and(|l| l.contains(&format!("Open {web_app} (the web app)"))),
        "{text}"
    );
    let page = reqwest::get(&web_app).await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let emulator = first
        .info()
        .emulator_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    assert!(csp.contains(&format!("https: {emulator};")), "{csp}");
    assert!(page
        .text()
        .await
        .unwrap()
        .to_lowercase()
        .contains("<!doctype html>"));
    let admin = Admin::login(&first).await;
    let channels = admin.assert_both_channels_active().await;
    let destinations = admin.get("/api/v1/destinations").await;
    let name_of = |id: &Value| {
        destinations["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| &d["id"] == id)
            .map(|d| d["name"].as_str().unwrap().to_owned())
    };
    for channel in &channels {
        assert_eq!(channel["routing"]["rule"], "alternative", "{channel}");
        let order: Vec<_> = channel["routing"]["destinations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| name_of(&d["id"]))
            .collect();
        assert_eq!(
            order,
            [Some("Sales".to_owned()), Some("Support".to_owned())],
            "Sales then Support"
        );
    }
    // The seeded visitor's first message is already an enquiry.
    eventually("the seeded enquiry", || {
        admin.enquiry_with(demo::cast::FIRST_MESSAGE)
    })
    .await;

    // A visitor writes through the emulator: an enquiry appears, and since
    // nobody is online it is missed and waits to be picked up.
    let victor = &first.info().visitors[1];
    let psid = victor.psid.clone();
    let question = "Do you deliver to Lisbon?";
    first.fb().send_text(&psid, question).await.unwrap();
    let (enquiry_id, _) = eventually("the visitor's enquiry is missed", || async {
        admin
            .enquiry_with(question)
            .await
            .filter(|(_, status)| status == "missed")
    })
    .await;
    first.stop().await.expect("the demo stops cleanly");

    // Second start on the same data: reused, with the same password.
    let second = demo::start(options(data_dir.path()))
        .await
        .expect("demo restarts");
    assert!(!second.info().first_start);
    assert_eq!(second.info().password, password);
    let admin = Admin::login(&second).await;
    let channels_again = admin.assert_both_channels_active().await;
    let ids = |list: &[Value]| -> Vec<Value> { list.iter().map(|c| c["id"].clone()).collect() };
    assert_eq!(
        ids(&channels_again),
        ids(&channels),
        "the same channels, reconnected"
    );

    // The visitor writes again (the new emulator only knows messages sent
    // to it) and an admin answers: the reply reaches the visitor.
    let fb = second.fb();
    fb.send_text(&psid, "Hello again?").await.unwrap();
    eventually("the new message joins the open enquiry", || async {
        admin
            .enquiry_with("Hello again?")
            .await
            .filter(|(id, _)| id == &enquiry_id)
    })
    .await;
    let (status, body) = admin
        .post(
            &format!("/api/v1/enquiries/{enquiry_id}/pick-up"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reply = "Yes, we deliver to Lisbon within three days.";
    let (status, body) = admin
        .post(
            &format!("/api/v1/enquiries/{enquiry_id}/messages"),
            json!({"text": reply}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    eventually("the reply reaches the visitor", || async {
        let received = fb.received(&psid).await.ok()?;
        received
            .iter()
            .any(|item| item.text.as_deref() == Some(reply))
            .then_some(())
    })
    .await;
    second.stop().await.expect("the demo stops cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_is_named_in_the_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        emulator_listen: taken.local_addr().unwrap(),
        ..options(data_dir.path())
    };
    let error = match demo::start(options).await {
        Ok(_) => panic!("the demo must not start on a taken port"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains(&taken.local_addr().unwrap().to_string()),
        "{error}"
    );
}
