//! Connecting Facebook Pages as channels and managing them, through the
//! real login flow against the emulator, on SQLite and PostgreSQL.

mod common;

use common::flows::{accept, eventually, first_offer, team_with_agent};

use common::{assert_error, follow_dialog, Backend, Client, ConnectedPage, TestApp, APP_SECRET};
use emulator::control::types::{AutoConsent, NewPage};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    several_pages_connect_at_once_each_as_its_own_channel,
    a_declined_permission_is_named_in_the_error,
    a_page_of_another_account_is_refused,
    connecting_a_page_again_reconnects_the_same_channel_with_its_settings,
    suspend_and_resume_change_the_status_and_a_disconnected_channel_needs_a_login,
    deleting_a_channel_unsubscribes_the_app_and_hides_the_channel,
    the_deauthorize_callback_disconnects_the_channels_the_user_connected,
    the_check_finds_a_revoked_token_and_disconnects_the_channel,
    the_scheduled_check_finds_a_revoked_permission_and_names_it,
    a_bad_expired_or_replayed_state_is_refused,
    editing_a_channel_validates_its_name_and_settings,
    messages_arriving_while_suspended_are_kept_and_routed_in_order_after_resume,
    a_reply_held_by_a_revoked_token_is_sent_after_reconnecting,
    every_page_is_offered_even_beyond_one_answer_of_facebook,
    logging_in_again_refreshes_a_suspended_channel_without_resuming_it,
    losing_the_page_role_is_found_and_a_false_alarm_keeps_the_channel,
);

async fn enquiries_of(admin: &Client, channel_id: &str) -> Vec<Value> {
    let (status, body) = admin
        .get(&format!("/api/v1/enquiries?channel_id={channel_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Everything the server logs (at debug level and above) while these tests
/// run, to check that no token ever reaches the log.
static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

fn logged() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

/// Facebook's login dialog will log in as `user_id` and grant everything.
async fn consent_as(app: &TestApp, user_id: &str) {
    app.fb()
        .set_auto_consent(&AutoConsent {
            user_id: Some(user_id.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// The user who connected `connected` logs in again and connects its Page;
/// returns the 201 answer.
async fn connect_again(app: &TestApp, admin: &Client, connected: &ConnectedPage) -> Value {
    consent_as(app, &connected.user_id).await;
    let login = login_id(app, admin).await;
    let (status, body) = connect(admin, &login, json!({"page_ids": [connected.page_id]})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn channel(admin: &Client, id: &str) -> Value {
    let (status, body) = admin.get(&format!("/api/v1/channels/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A user administering new Pages with these names; auto-consent logs in as them.
async fn page_admin(app: &TestApp, pages: &[&str], declined: &[&str]) -> (String, Vec<String>) {
    let fb = app.fb();
    let user = fb.create_user("Pat Pages").await.unwrap();
    let mut ids = Vec::new();
    for name in pages {
        let page = fb
            .create_page(&NewPage {
                name: (*name).into(),
                ..Default::default()
            })
            .await
            .unwrap();
        fb.set_role(&page.id, &user.id, &common::PAGE_TASKS)
            .await
            .unwrap();
        ids.push(page.id);
    }
    fb.set_auto_consent(&AutoConsent {
        user_id: Some(user.id.clone()),
        pages: None,
        declined: declined.iter().map(|d| d.to_string()).collect(),
    })
    .await
    .unwrap();
    (user.id, ids)
}

async fn login_id(app: &TestApp, admin: &Client) -> String {
    let (status, login) = app.facebook_login(admin).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    login["id"].as_str().unwrap().to_owned()
}

async fn connect(admin: &Client, login: &str, body: Value) -> (StatusCode, Value) {
    admin
        .post(
            &format!("/api/v1/channels/facebook/logins/{login}/connect"),
            body,
        )
        .await
}

/// The Page token as stored (decrypted), to check it never leaks.
async fn page_token(app: &TestApp, account_id: &str, channel_id: &str) -> String {
    let enc = app
        .state
        .store
        .channel_token_enc(account_id, channel_id)
        .await
        .unwrap()
        .expect("a stored token");
    app.state.secrets.decrypt(&enc).unwrap()
}

async fn several_pages_connect_at_once_each_as_its_own_channel(backend: Backend) {
    capture_logs();
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let long_name = "Ünïcode-Support-Page-With-A-Rather-Long-Name-Indeed";
    let (_, pages) = page_admin(&app, &["Acme Sales", long_name, "Acme Help"], &[]).await;

    let (status, login) = app.facebook_login(&admin).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["status"], "authorized");
    assert_eq!(login["pages"].as_array().unwrap().len(), 3, "{login}");
    assert!(login["pages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["can_message"] == true && p["channel_id"].is_null()));
    assert!(login["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "granted"));
    assert_eq!(login["problems"], json!([]));

    let login = login["id"].as_str().unwrap();
    let (status, body) = connect(&admin, login, json!({"page_ids": pages})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (item, page_id) in items.iter().zip(&pages) {
        assert_eq!(&item["page_id"], page_id);
        assert_eq!(item["channel"]["page"]["id"], *page_id);
        assert_eq!(item["channel"]["status"], "active");
        assert_eq!(item["reconnected"], false);
        assert_eq!(item["channel"]["messages"]["display_name_format"], "none");
        assert_eq!(
            item["channel"]["messages"]["welcome_message"],
            domain::messages::DEFAULT_WELCOME_MESSAGE
        );
        assert_eq!(
            item["channel"]["messages"]["away_message"],
            domain::messages::DEFAULT_AWAY_MESSAGE
        );
    }
    let long = &items[1]["channel"]["name"];
    assert_eq!(long.as_str().unwrap().chars().count(), 40, "{long}");
    assert!(long_name.starts_with(long.as_str().unwrap()));

    let (_, list) = admin.get("/api/v1/channels").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);

    // The app is subscribed to every field the product needs, on each Page.
    let subscriptions = app.fb().subscriptions().await.unwrap();
    for page_id in &pages {
        let fields = &subscriptions.pages[page_id];
        for field in messenger::graph::MESSENGER_FIELDS {
            assert!(fields.iter().any(|f| f == field), "{page_id}: {fields:?}");
        }
    }

    // Tokens never appear in what the API answers.
    let account_id = admin.account_id.clone().unwrap();
    let channel_id = items[0]["channel_id"].as_str().unwrap();
    let token = page_token(&app, &account_id, channel_id).await;
    let (_, one) = admin.get(&format!("/api/v1/channels/{channel_id}")).await;
    let (_, login_again) = admin
        .get(&format!("/api/v1/channels/facebook/logins/{login}"))
        .await;
    for text in [
        body.to_string(),
        list.to_string(),
        one.to_string(),
        login_again.to_string(),
    ] {
        assert!(!text.contains(&token), "a Page token leaked: {text}");
        assert!(!text.contains("access_token"), "{text}");
    }

    // Nor in the log, from the login to reading the channels.
    let log = logged();
    assert!(
        log.contains("Facebook Page connected"),
        "the log is captured"
    );
    assert!(!log.contains(&token), "a Page token was logged");
    assert!(!log.contains(APP_SECRET), "the app secret was logged");

    // A login connects once.
    let again = connect(&admin, login, json!({"page_ids": [pages[0]]})).await;
    assert_error(&again, StatusCode::CONFLICT, "conflict", None);
}

async fn a_declined_permission_is_named_in_the_error(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let (_, pages) = page_admin(&app, &["Acme"], &["pages_messaging"]).await;
    let (status, login) = app.facebook_login(&admin).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let problems = login["problems"].to_string();
    assert!(
        problems.contains("pages_messaging was declined"),
        "{problems}"
    );

    let response = connect(
        &admin,
        login["id"].as_str().unwrap(),
        json!({"page_ids": pages}),
    )
    .await;
    assert_error(
        &response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("permissions"),
    );
    let message = response.1["error"]["message"].as_str().unwrap();
    assert!(message.contains("pages_messaging"), "{message}");
    assert!(
        message.contains("Manage and access Page conversations in Messenger"),
        "{message}"
    );
    let (_, list) = admin.get("/api/v1/channels").await;
    assert_eq!(list["items"], json!([]));
    assert!(app.fb().subscriptions().await.unwrap().pages.is_empty());
}

async fn a_page_of_another_account_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let first = app.new_account("First").await;
    let second = app.new_account("Second").await;
    let (_, pages) = page_admin(&app, &["Shared Page"], &[]).await;
    let login = login_id(&app, &first).await;
    let (status, body) = connect(&first, &login, json!({"page_ids": pages})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, login) = app.facebook_login(&second).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["pages"][0]["held_by_another_account"], true);
    assert!(login["pages"][0]["channel_id"].is_null());
    let response = connect(
        &second,
        login["id"].as_str().unwrap(),
        json!({"page_ids": pages}),
    )
    .await;
    assert_error(&response, StatusCode::CONFLICT, "conflict", None);
    let message = response.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Shared Page") && message.contains("another omnidesk account"),
        "{message}"
    );
    let (_, list) = second.get("/api/v1/channels").await;
    assert_eq!(list["items"], json!([]));
}

async fn connecting_a_page_again_reconnects_the_same_channel_with_its_settings(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme Support").await;
    let id = &connected.channel_id;
    let (status, body) = admin
        .patch(
            &format!("/api/v1/channels/{id}"),
            json!({"name": "Support DE", "messages": {"welcome_message": "Hallo!"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The Page admin changes their password: every token dies.
    app.fb().change_password(&connected.user_id).await.unwrap();
    let (_, report) = admin
        .post(&format!("/api/v1/channels/{id}/check"), json!({}))
        .await;
    assert_eq!(report["ok"], false, "{report}");
    let disconnected = channel(&admin, id).await;
    assert_eq!(disconnected["status"], "disconnected");

    // Logging in again and connecting the same Page brings the channel back.
    consent_as(&app, &connected.user_id).await;
    let (status, login) = app.facebook_login(&admin).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["pages"][0]["channel_id"], *id);
    let (status, body) = connect(
        &admin,
        login["id"].as_str().unwrap(),
        json!({"page_ids": [connected.page_id]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["items"][0]["reconnected"], true);
    assert_eq!(body["items"][0]["channel_id"], *id);
    let back = channel(&admin, id).await;
    assert_eq!(back["status"], "active");
    assert!(back["status_reason"].is_null());
    assert_eq!(back["name"], "Support DE");
    assert_eq!(back["messages"]["welcome_message"], "Hallo!");
    let (_, list) = admin.get("/api/v1/channels").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, report) = admin
        .post(&format!("/api/v1/channels/{id}/check"), json!({}))
        .await;
    assert_eq!(report["ok"], true, "{report}");
}

async fn suspend_and_resume_change_the_status_and_a_disconnected_channel_needs_a_login(
    backend: Backend,
) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    let id = &connected.channel_id;
    let agent = admin.staff_client("agent").await;
    assert_error(
        &agent
            .post(&format!("/api/v1/channels/{id}/suspend"), json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );

    let (status, body) = admin
        .post(&format!("/api/v1/channels/{id}/suspend"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "suspended");
    // Suspended, the Page stays connected: the app is still subscribed.
    let subscriptions = app.fb().subscriptions().await.unwrap();
    assert!(subscriptions.pages.contains_key(&connected.page_id));
    let (_, seen_by_agent) = agent.get(&format!("/api/v1/channels/{id}")).await;
    assert_eq!(seen_by_agent["status"], "suspended");

    let (status, body) = admin
        .post(&format!("/api/v1/channels/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "active");

    app.fb().remove_app(&connected.user_id).await.unwrap();
    eventually("the channel to be disconnected", || async {
        let c = channel(&admin, id).await;
        (c["status"] == "disconnected").then_some(c)
    })
    .await;
    let refused = admin
        .post(&format!("/api/v1/channels/{id}/resume"), json!({}))
        .await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("status"),
    );
}

async fn deleting_a_channel_unsubscribes_the_app_and_hides_the_channel(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    let id = &connected.channel_id;
    let psid = app.visitor(&connected.page_id, "Ann").await;
    app.fb().send_text(&psid, "still there?").await.unwrap();
    let open = eventually("the enquiry to be stored", || async {
        enquiries_of(&admin, id).await.first().cloned()
    })
    .await;
    let enquiry = open["id"].as_str().unwrap().to_owned();
    let (status, _) = admin.delete(&format!("/api/v1/channels/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Its open enquiry is closed; the conversation stays readable.
    let (status, closed) = admin.get(&format!("/api/v1/enquiries/{enquiry}")).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed", "{closed}");
    assert_eq!(closed["close_reason"], "channel_deleted", "{closed}");
    let (status, messages) = admin
        .get(&format!("/api/v1/enquiries/{enquiry}/messages"))
        .await;
    assert_eq!(status, StatusCode::OK, "{messages}");
    assert!(messages.to_string().contains("still there?"), "{messages}");
    assert_error(
        &admin.get(&format!("/api/v1/channels/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    let (_, list) = admin.get("/api/v1/channels").await;
    assert_eq!(list["items"], json!([]));
    let subscriptions = app.fb().subscriptions().await.unwrap();
    assert!(
        subscriptions
            .pages
            .get(&connected.page_id)
            .is_none_or(|f| f.is_empty()),
        "{subscriptions:?}"
    );
    // The deleted channel's record stays for its past conversations.
    let kept = app
        .state
        .store
        .get_channel_even_deleted(admin.account_id.as_deref().unwrap(), id)
        .await
        .unwrap();
    assert!(kept.deleted_at.is_some());

    // The Page is free again: connecting it makes a new channel.
    let body = connect_again(&app, &admin, &connected).await;
    assert_eq!(body["items"][0]["reconnected"], false);
    assert_ne!(body["items"][0]["channel_id"], *id);
}

async fn the_deauthorize_callback_disconnects_the_channels_the_user_connected(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    let other = app.connect_page(&admin, "Other Page").await;

    // A forged callback is refused.
    let forged = messenger::signed_request::sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": 1, "user_id": connected.user_id}),
        b"not the app secret",
    );
    let response = reqwest::Client::new()
        .post(app.url("/webhooks/facebook/deauthorize"))
        .form(&[("signed_request", forged)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let not_a_form = reqwest::Client::new()
        .post(app.url("/webhooks/facebook/deauthorize"))
        .json(&json!({"user_id": connected.user_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), StatusCode::BAD_REQUEST);
    let body: Value = not_a_form.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
    assert_eq!(
        channel(&admin, &connected.channel_id).await["status"],
        "active"
    );

    app.fb().remove_app(&connected.user_id).await.unwrap();
    let gone = eventually("the deauthorize callback", || async {
        let c = channel(&admin, &connected.channel_id).await;
        (c["status"] == "disconnected").then_some(c)
    })
    .await;
    let reason = gone["status_reason"].as_str().unwrap();
    assert!(reason.contains("removed the app"), "{reason}");
    assert!(gone["status_changed_at"].is_string());
    // Another user's channel is untouched.
    assert_eq!(channel(&admin, &other.channel_id).await["status"], "active");
    // Admins are told (the event follows the status change).
    let store = app.state.store.clone();
    let (account_id, staff_id) = (
        admin.account_id.clone().unwrap(),
        admin.staff_id.clone().unwrap(),
    );
    eventually("the channel.disconnected event", || async {
        let events = store
            .events_since(&account_id, &staff_id, 0, 1000)
            .await
            .unwrap();
        events
            .iter()
            .any(|e| e.kind == "channel.disconnected" && e.payload.contains(&connected.channel_id))
            .then_some(json!(true))
    })
    .await;
}

async fn the_check_finds_a_revoked_token_and_disconnects_the_channel(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    let id = &connected.channel_id;
    let (status, report) = admin
        .post(&format!("/api/v1/channels/{id}/check"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["steps"].as_array().unwrap().len(), 5 + 11);

    let token = page_token(&app, admin.account_id.as_deref().unwrap(), id).await;
    app.fb().revoke_token(&token).await.unwrap();
    let (_, report) = admin
        .post(&format!("/api/v1/channels/{id}/check"), json!({}))
        .await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["failed_step"], "token", "{report}");
    assert!(!report.to_string().contains(&token));
    let c = channel(&admin, id).await;
    assert_eq!(c["status"], "disconnected");
    let reason = c["status_reason"].as_str().unwrap();
    assert!(reason.contains("no longer valid"), "{reason}");
    assert_eq!(c["last_check"]["failed_step"], "token");
}

/// Revokes one permission of the emulator user the way Facebook's settings
/// page would: `DELETE /me/permissions/{permission}` with a token of theirs.
async fn revoke_permission(app: &TestApp, user_id: &str, permission: &str) {
    consent_as(app, user_id).await;
    let graph = app.state.graph.clone();
    let redirect = "https://tests.example/callback";
    let dialog = graph.oauth_dialog_url(redirect, "s", &messenger::graph::MESSENGER_SCOPES);
    let back = follow_dialog(dialog.as_str()).await;
    let code = url::Url::parse(&format!("https://tests.example{back}"))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let token = graph.exchange_code(&code, redirect).await.unwrap();
    let token = token.access_token.expose();
    let mut url = graph.config().base_url.clone();
    url.set_path(&format!("/v25.0/me/permissions/{permission}"));
    let response = reqwest::Client::new()
        .delete(url)
        .query(&[
            ("access_token", token),
            (
                "appsecret_proof",
                &messenger::graph::appsecret_proof(APP_SECRET, token),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
}

async fn the_scheduled_check_finds_a_revoked_permission_and_names_it(backend: Backend) {
    let app = TestApp::spawn_with_emulator_and(backend, |config| {
        config.channel_check_interval_secs = 1;
    })
    .await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    revoke_permission(&app, &connected.user_id, "pages_messaging").await;
    let gone = eventually("the scheduled check to disconnect", || async {
        let c = channel(&admin, &connected.channel_id).await;
        (c["status"] == "disconnected").then_some(c)
    })
    .await;
    assert_eq!(
        gone["status_reason"], "pages_messaging was revoked",
        "{gone}"
    );
    assert_eq!(
        gone["last_check"]["failed_step"], "permission:pages_messaging",
        "{gone}"
    );
}

async fn a_bad_expired_or_replayed_state_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    page_admin(&app, &["Acme"], &[]).await;

    let unknown = admin
        .get("/api/v1/channels/facebook/callback?code=abc&state=fbs_made_up")
        .await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "bad_request", None);
    assert!(unknown.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown"));

    // A real callback works once; the replay is refused.
    let (_, started) = admin
        .post("/api/v1/channels/facebook/login", json!({}))
        .await;
    let callback = follow_dialog(started["dialog_url"].as_str().unwrap()).await;
    let (status, body) = admin.get(&callback).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let replay = admin.get(&callback).await;
    assert_error(&replay, StatusCode::BAD_REQUEST, "bad_request", None);
    assert!(replay.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already completed"));

    // A state from another session (another admin's browser) is refused.
    let (_, started) = admin
        .post("/api/v1/channels/facebook/login", json!({}))
        .await;
    let callback = follow_dialog(started["dialog_url"].as_str().unwrap()).await;
    let colleague = admin.staff_client("admin").await;
    let stolen = colleague.get(&callback).await;
    assert_error(&stolen, StatusCode::BAD_REQUEST, "bad_request", None);
    assert!(stolen.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("another browser session"));

    // The popup's browser gets a page that tells the opener.
    let html = reqwest::Client::new()
        .get(app.url("/api/v1/channels/facebook/callback?code=x&state=fbs_nope"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::BAD_REQUEST);
    let csp = html.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert_eq!(html.headers()["x-frame-options"], "DENY");
    let text = html.text().await.unwrap();
    assert!(
        text.contains("<script src=\"/api/v1/channels/facebook/callback.js\">")
            && text.contains("&quot;ok&quot;:false")
            && text.contains("unknown")
            && !text.contains("<script>"),
        "{text}"
    );
    // Its script (no inline script under the CSP) posts to the opener.
    let script = reqwest::get(app.url("/api/v1/channels/facebook/callback.js"))
        .await
        .unwrap();
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script
        .text()
        .await
        .unwrap()
        .contains("window.opener.postMessage"));

    // Cancelling the dialog is reported, and the login cannot connect.
    let (_, started) = admin
        .post("/api/v1/channels/facebook/login", json!({}))
        .await;
    let dialog = url::Url::parse(started["dialog_url"].as_str().unwrap()).unwrap();
    let state = dialog
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let cancelled = admin
        .get(&format!(
            "/api/v1/channels/facebook/callback?error=access_denied&error_reason=user_denied&state={state}"
        ))
        .await;
    assert_error(&cancelled, StatusCode::BAD_REQUEST, "bad_request", None);
    let login = started["login_id"].as_str().unwrap();
    let (_, view) = admin
        .get(&format!("/api/v1/channels/facebook/logins/{login}"))
        .await;
    assert_eq!(view["status"], "failed");
    let refused = connect(&admin, login, json!({"page_ids": ["1"]})).await;
    assert_error(&refused, StatusCode::BAD_REQUEST, "bad_request", None);

    // API tokens cannot start a popup login.
    let (status, token) = admin
        .post("/api/v1/api-tokens", json!({"name": "ci"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let bearer = Client::with_token(app.addr, token["secret"].as_str().unwrap());
    let response = bearer
        .post("/api/v1/channels/facebook/login", json!({}))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "bad_request", None);
}

async fn editing_a_channel_validates_its_name_and_settings(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    let id = &connected.channel_id;
    let path = format!("/api/v1/channels/{id}");

    assert_error(
        &admin.patch(&path, json!({"name": "ü".repeat(41)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("name"),
    );
    let (status, body) = admin.patch(&path, json!({"name": "ü".repeat(40)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_error(
        &admin
            .patch(
                &path,
                json!({"routing": {"rule": "alternative", "destinations": [{"id": "nope"}]}}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("routing.destinations[0].id"),
    );
    assert_error(
        &admin
            .patch(&path, json!({"messages": {"welcome_message": "  "}}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("messages.welcome_message"),
    );

    let (status, destination) = admin
        .post("/api/v1/destinations", json!({"name": "Sales"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{destination}");
    let destination_id = destination["id"].as_str().unwrap();
    let (status, body) = admin
        .patch(
            &path,
            json!({"routing": {"rule": "alternative", "sticky": true,
                               "destinations": [{"id": destination_id}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["routing"]["destinations"][0]["id"], destination_id);
    assert_eq!(body["routing"]["sticky"], true);

    // A destination a channel routes to cannot be deleted.
    let refused = admin
        .delete(&format!("/api/v1/destinations/{destination_id}"))
        .await;
    assert_error(&refused, StatusCode::CONFLICT, "conflict", None);
    assert!(refused.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&"ü".repeat(40)));

    let agent = admin.staff_client("agent").await;
    assert_error(
        &agent.patch(&path, json!({"name": "Mine"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let (status, _) = agent.get("/api/v1/channels").await;
    assert_eq!(status, StatusCode::OK);
}

async fn messages_arriving_while_suspended_are_kept_and_routed_in_order_after_resume(
    backend: Backend,
) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let agent = team_with_agent(&admin).await;
    let connected = app.connect_page(&admin, "Acme").await;
    let id = &connected.channel_id;
    let (status, body) = admin
        .post(&format!("/api/v1/channels/{id}/suspend"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let first = app.visitor(&connected.page_id, "Ann").await;
    let second = app.visitor(&connected.page_id, "Bob").await;
    app.fb().send_text(&first, "first!").await.unwrap();
    app.fb().send_text(&second, "second!").await.unwrap();
    let stored = eventually("both enquiries to be stored", || async {
        let list = enquiries_of(&admin, id).await;
        (list.len() == 2).then(|| json!(list))
    })
    .await;
    for enquiry in stored.as_array().unwrap() {
        let (_, messages) = admin
            .get(&format!(
                "/api/v1/enquiries/{}/messages",
                enquiry["id"].as_str().unwrap()
            ))
            .await;
        assert!(messages.to_string().contains("!"), "{messages}");
    }
    // Nothing was routed and no automatic message went out.
    let (_, offers) = agent.get("/api/v1/offers").await;
    assert_eq!(offers["items"], json!([]), "{offers}");
    assert!(app.fb().received(&first).await.unwrap().is_empty());

    let (status, body) = admin
        .post(&format!("/api/v1/channels/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let offers = eventually("both enquiries to be offered", || async {
        let (_, offers) = agent.get("/api/v1/offers").await;
        (offers["items"].as_array().unwrap().len() == 2).then_some(offers)
    })
    .await;
    // Routed in arrival order: the first visitor's enquiry was offered first.
    let offered: Vec<&str> = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["enquiry_id"].as_str().unwrap())
        .collect();
    // Compare times as times: RFC 3339 text drops trailing zeros of the
    // fraction, so ".5Z" would sort after ".512Z" as a string.
    let mut by_arrival: Vec<(jiff::Timestamp, String)> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["opened_at"].as_str().unwrap().parse().unwrap(),
                e["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    by_arrival.sort();
    let expected: Vec<&str> = by_arrival.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(offered, expected);
}

async fn a_reply_held_by_a_revoked_token_is_sent_after_reconnecting(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let agent = team_with_agent(&admin).await;
    let connected = app.connect_page(&admin, "Acme").await;
    let id = &connected.channel_id;
    let psid = app.visitor(&connected.page_id, "Ann").await;
    app.fb().send_text(&psid, "hello?").await.unwrap();
    let offer = first_offer(&agent).await;
    let (status, body) = accept(&agent, &offer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let enquiry = offer["enquiry_id"].as_str().unwrap();

    let token = page_token(&app, admin.account_id.as_deref().unwrap(), id).await;
    app.fb().revoke_token(&token).await.unwrap();
    let (status, body) = agent
        .post(
            &format!("/api/v1/enquiries/{enquiry}/messages"),
            json!({"text": "We are on it"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let gone = eventually("the send to disconnect the channel", || async {
        let c = channel(&admin, id).await;
        (c["status"] == "disconnected").then_some(c)
    })
    .await;
    assert!(gone["status_reason"].is_string());
    let got = |items: Vec<emulator::control::types::ThreadItem>| {
        items
            .iter()
            .filter(|i| {
                i.text
                    .as_deref()
                    .is_some_and(|t| t.contains("We are on it"))
            })
            .count()
    };
    assert_eq!(got(app.fb().received(&psid).await.unwrap()), 0);

    // The Page admin logs in again: the same channel comes back and the
    // reply that waited goes out, once.
    let body = connect_again(&app, &admin, &connected).await;
    assert_eq!(body["items"][0]["channel_id"], *id);
    let fb = app.fb();
    eventually("the held reply to be sent", || async {
        (got(fb.received(&psid).await.unwrap()) == 1).then_some(json!(true))
    })
    .await;
}

async fn every_page_is_offered_even_beyond_one_answer_of_facebook(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let fb = app.fb();
    let user = fb.create_user("Busy Admin").await.unwrap();
    // Facebook answers /me/accounts 100 Pages at a time.
    let pages = futures::future::join_all((0..105).map(|i| {
        let fb = app.fb();
        let user_id = user.id.clone();
        async move {
            let page = fb
                .create_page(&NewPage {
                    name: format!("Page {i:03}"),
                    ..Default::default()
                })
                .await
                .unwrap();
            fb.set_role(&page.id, &user_id, &common::PAGE_TASKS)
                .await
                .unwrap();
            page.id
        }
    }))
    .await;
    consent_as(&app, &user.id).await;
    let (status, login) = app.facebook_login(&admin).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let offered: std::collections::BTreeSet<&str> = login["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(offered.len(), 105);
    assert!(pages.iter().all(|p| offered.contains(p.as_str())));
}

async fn logging_in_again_refreshes_a_suspended_channel_without_resuming_it(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    let id = &connected.channel_id;
    let (status, _) = admin
        .post(&format!("/api/v1/channels/{id}/suspend"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = connect_again(&app, &admin, &connected).await;
    assert_eq!(body["items"][0]["reconnected"], true);
    assert_eq!(body["items"][0]["channel"]["status"], "suspended");
}

async fn losing_the_page_role_is_found_and_a_false_alarm_keeps_the_channel(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Acme").await;
    let connected = app.connect_page(&admin, "Acme").await;
    let account_id = admin.account_id.clone().unwrap();
    let id = &connected.channel_id;

    // A send error that the confirming check does not confirm changes nothing.
    let disconnected =
        server::channels::confirm_access_lost(&app.state, &account_id, id, "190: test")
            .await
            .unwrap();
    assert!(!disconnected);
    assert_eq!(channel(&admin, id).await["status"], "active");

    // The Page admin loses their role on the Page: the token stops working.
    app.fb()
        .remove_role(&connected.page_id, &connected.user_id)
        .await
        .unwrap();
    let disconnected =
        server::channels::confirm_access_lost(&app.state, &account_id, id, "190/492: test")
            .await
            .unwrap();
    assert!(disconnected);
    let gone = channel(&admin, id).await;
    assert_eq!(gone["status"], "disconnected");
    assert_eq!(gone["last_check"]["failed_step"], "token", "{gone}");
}
