//! Facebook Login through the real `GraphClient`: dialog, code exchange,
//! long-lived tokens, `/me`, `/me/accounts`, `/me/permissions`, `debug_token`.

mod common;

use common::*;
use emulator::control::types::AutoConsent;
use messenger::graph::MESSENGER_SCOPES;
use messenger::ErrorClass;

#[tokio::test]
async fn auto_consent_redirects_back_with_a_code_and_the_state() {
    let emu = TestEmulator::start().await;
    emu.control.create_user("Ada").await.unwrap();
    emu.control
        .set_auto_consent(&AutoConsent::default())
        .await
        .unwrap();
    let back = emu.dialog_redirect(&MESSENGER_SCOPES).await;
    assert!(back.as_str().starts_with(REDIRECT_URI));
    assert_eq!(query(&back, "state").as_deref(), Some("csrf-1"));
    assert!(query(&back, "code").is_some_and(|c| c.len() > 20));
}

#[tokio::test]
async fn the_consent_form_lists_the_users_pages_and_the_four_permissions() {
    let emu = TestEmulator::start().await;
    let user = emu.control.create_user("Ada").await.unwrap();
    let page = emu.page_for(&user.id, "Acme <Support>", &ALL_TASKS).await;
    let url = emu
        .graph
        .oauth_dialog_url(REDIRECT_URI, "s", &MESSENGER_SCOPES);
    let html = emu.get_text(url).await;
    assert!(
        html.contains("Acme &lt;Support&gt;"),
        "escaped Page name: {html}"
    );
    assert!(html.contains(&format!("value=\"{}\"", page.id)));
    for text in [
        "Manage and access Page conversations in Messenger",
        "Show a list of the Pages you manage",
        "Read content posted on the Page",
        "Manage accounts, settings, and webhooks for a Page",
    ] {
        assert!(html.contains(text), "missing toggle {text}");
    }
    assert!(!html.contains("<script"), "the dialog is a plain form");
}

#[tokio::test]
async fn submitting_the_form_with_an_unticked_permission_declines_it() {
    let emu = TestEmulator::start().await;
    let user = emu.control.create_user("Ada").await.unwrap();
    let page = emu.page_for(&user.id, "Acme", &ALL_TASKS).await;
    let form = [
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT_URI),
        ("state", "s1"),
        (
            "scope",
            "pages_show_list,pages_messaging,pages_manage_metadata,pages_read_engagement",
        ),
        ("user_id", user.id.as_str()),
        ("page", page.id.as_str()),
        ("perm", "pages_show_list"),
        ("perm", "pages_messaging"),
        ("perm", "pages_manage_metadata"),
        ("action", "continue"),
    ];
    let resp = emu
        .http
        .post(emu.url("v25.0/dialog/oauth"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let back = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = query(&back, "code").unwrap();
    let token = emu.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
    let perms = emu
        .graph
        .permissions(token.access_token.expose())
        .await
        .unwrap();
    let status = |p: &str| {
        perms
            .iter()
            .find(|x| x.permission == p)
            .map(|x| x.status.clone())
    };
    assert_eq!(status("pages_read_engagement").as_deref(), Some("declined"));
    assert_eq!(status("pages_messaging").as_deref(), Some("granted"));
}

#[tokio::test]
async fn cancelling_the_dialog_returns_access_denied_with_the_state() {
    let emu = TestEmulator::start().await;
    let resp = emu
        .http
        .post(emu.url("v25.0/dialog/oauth"))
        .form(&[
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT_URI),
            ("state", "s2"),
            ("action", "cancel"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let back = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "error_reason").as_deref(), Some("user_denied"));
    assert_eq!(query(&back, "error_code").as_deref(), Some("200"));
    assert_eq!(query(&back, "state").as_deref(), Some("s2"));
    assert!(query(&back, "code").is_none());
}

#[tokio::test]
async fn a_code_is_exchanged_once_and_only_with_the_same_redirect_uri() {
    let emu = TestEmulator::start().await;
    let code = emu.code_for_new_user("Ada").await;
    let wrong = emu
        .graph
        .exchange_code(&code, "https://elsewhere.example/cb")
        .await
        .unwrap_err();
    assert_eq!(codes(&wrong), (100, Some(36008)));
    let token = emu.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
    assert_eq!(token.token_type.as_deref(), Some("bearer"));
    assert_eq!(token.expires_in, Some(3600));
    let reused = emu
        .graph
        .exchange_code(&code, REDIRECT_URI)
        .await
        .unwrap_err();
    assert_eq!(codes(&reused), (100, Some(36009)));
}

#[tokio::test]
async fn a_wrong_app_secret_is_refused_with_the_client_secret_error() {
    let emu = TestEmulator::start().await;
    let code = emu.code_for_new_user("Ada").await;
    let mut config = emu.graph.config().clone();
    config.app_secret = "wrong".into();
    let err = messenger::GraphClient::new(config)
        .exchange_code(&code, REDIRECT_URI)
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (1, None));
    assert!(err.to_string().contains("Error validating client secret"));
}

#[tokio::test]
async fn a_short_lived_token_becomes_a_sixty_day_token_and_names_the_user() {
    let emu = TestEmulator::start().await;
    let user = emu.control.create_user("Ada Admin").await.unwrap();
    emu.control
        .set_auto_consent(&AutoConsent::default())
        .await
        .unwrap();
    let code = emu.login_code().await;
    let short = emu.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
    let long = emu
        .graph
        .exchange_long_lived(short.access_token.expose())
        .await
        .unwrap();
    assert_eq!(long.expires_in, Some(5_184_000));
    let me = emu.graph.me(long.access_token.expose()).await.unwrap();
    assert_eq!(me.id, user.id);
    assert_eq!(me.name.as_deref(), Some("Ada Admin"));
}

#[tokio::test]
async fn a_short_lived_token_expires_after_an_hour_with_subcode_463() {
    let emu = TestEmulator::start().await;
    let code = emu.code_for_new_user("Ada").await;
    let short = emu.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
    emu.control.advance_clock(3_601_000).await.unwrap();
    let err = emu.graph.me(short.access_token.expose()).await.unwrap_err();
    assert_eq!(codes(&err), (190, Some(463)));
    assert_eq!(err.class(), ErrorClass::TokenLost);
    let err = emu
        .graph
        .exchange_long_lived(short.access_token.expose())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        (190, Some(463)),
        "an expired token cannot be exchanged"
    );
}

#[tokio::test]
async fn page_accounts_lists_only_granted_pages_with_tasks_across_several_pages_of_results() {
    let emu = TestEmulator::start().await;
    let user = emu.control.create_user("Ada").await.unwrap();
    let mut granted = Vec::new();
    for i in 0..105 {
        let page = emu
            .page_for(&user.id, format!("Page {i}"), &["MODERATE", "MESSAGING"])
            .await;
        if i != 3 {
            granted.push(page.id);
        }
    }
    let other = emu.page("Not mine").await;
    emu.control
        .set_auto_consent(&AutoConsent {
            pages: Some(granted.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let accounts = emu.pages_at_new_login().await;
    let mut ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    granted.sort();
    assert_eq!(
        ids, granted,
        "104 granted Pages over two result pages, no others"
    );
    assert!(!ids.contains(&other.id));
    assert!(accounts
        .iter()
        .all(|a| a.can_message() && a.access_token.is_some()));
    assert!(accounts[0].picture.is_some());
}

#[tokio::test]
async fn paging_next_is_an_absolute_url_with_an_after_cursor() {
    let emu = TestEmulator::start().await;
    let user = emu.control.create_user("Ada").await.unwrap();
    for i in 0..3 {
        emu.page_for(&user.id, format!("P{i}"), &["MODERATE"]).await;
    }
    emu.control
        .set_auto_consent(&AutoConsent::default())
        .await
        .unwrap();
    let code = emu.login_code().await;
    let token = emu.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
    let mut url = emu.url("v25.0/me/accounts");
    url.query_pairs_mut()
        .append_pair("access_token", token.access_token.expose())
        .append_pair("limit", "2");
    let first: serde_json::Value = emu.get_json(url).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let next = first["paging"]["next"].as_str().expect("a next link");
    assert!(next.starts_with(emu.handle.base_url().as_str()));
    assert!(first["paging"]["cursors"]["after"].is_string());
    let second: serde_json::Value = emu.get_json(next).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert!(second["paging"].get("next").is_none());
}

#[tokio::test]
async fn debug_token_describes_a_valid_page_token_and_an_invalidated_one() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let info = emu.graph.debug_token(&c.page_token).await.unwrap();
    assert!(info.is_valid);
    assert_eq!(info.token_type.as_deref(), Some("PAGE"));
    assert_eq!(info.app_id.as_deref(), Some(APP_ID));
    assert_eq!(info.user_id.as_deref(), Some(c.user_id.as_str()));
    assert_eq!(
        info.expires_at,
        Some(0),
        "Page token from a long-lived token never expires"
    );
    assert!(info.grants_for("pages_messaging", &c.page_id));
    emu.control.change_password(&c.user_id).await.unwrap();
    let info = emu.graph.debug_token(&c.page_token).await.unwrap();
    assert!(!info.is_valid);
    assert_eq!(info.error.unwrap().subcode, Some(460));
    let unknown = emu.graph.debug_token("EAAnonsense").await.unwrap();
    assert!(!unknown.is_valid);
}

#[tokio::test]
async fn revoking_one_permission_shows_it_declined_and_blocks_what_needs_it() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let resp = emu
        .http
        .delete(emu.url("v25.0/me/permissions/pages_show_list"))
        .query(&[("access_token", c.user_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let perms = emu.graph.permissions(&c.user_token).await.unwrap();
    assert!(perms
        .iter()
        .any(|p| p.permission == "pages_show_list" && !p.is_granted()));
    let err = emu.graph.page_accounts(&c.user_token).await.unwrap_err();
    assert_eq!(codes(&err).0, 200);
    assert_eq!(err.class(), ErrorClass::PermissionMissing);
}

#[tokio::test]
async fn a_wrong_appsecret_proof_is_rejected_and_a_right_one_accepted() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let resp = emu
        .http
        .get(emu.url("v25.0/me"))
        .query(&[
            ("access_token", c.user_token.as_str()),
            ("appsecret_proof", "00ff"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], 100);
    assert_eq!(
        body["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );
    assert!(body["error"]["fbtrace_id"].is_string());
    // The real client always sends a correct proof.
    emu.graph.me(&c.user_token).await.unwrap();
}

#[tokio::test]
async fn any_graph_version_prefix_is_served_and_a_malformed_one_is_not() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    for ver in ["v19.0", "v26.0"] {
        let resp = emu
            .http
            .get(emu.url(&format!("{ver}/me")))
            .query(&[("access_token", c.user_token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{ver}");
    }
    let resp = emu
        .http
        .get(emu.url("latest/me"))
        .query(&[("access_token", c.user_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn an_unknown_graph_path_answers_with_an_error_envelope_and_usage_headers() {
    let emu = TestEmulator::start().await;
    let resp = emu.get(emu.url("v25.0/me/no/such/edge")).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().contains_key("x-app-usage"));
    assert!(resp.headers().contains_key("x-fb-trace-id"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Unknown path components"));
}

#[tokio::test]
async fn with_several_users_the_dialog_first_asks_who_logs_in() {
    let emu = TestEmulator::start().await;
    emu.control.create_user("Ada").await.unwrap();
    let bob = emu.control.create_user("Bob").await.unwrap();
    let url = emu
        .graph
        .oauth_dialog_url(REDIRECT_URI, "s", &MESSENGER_SCOPES);
    let picker = emu.get_text(url.clone()).await;
    assert!(picker.contains("Ada") && picker.contains("Bob"));
    assert!(picker.contains("name=\"emulator_user\""));
    let mut chosen = url;
    chosen
        .query_pairs_mut()
        .append_pair("emulator_user", &bob.id);
    let consent = emu.get_text(chosen).await;
    assert!(consent.contains("Logged in as <b>Bob</b>"));
    assert!(consent.contains(&format!("name=\"user_id\" value=\"{}\"", bob.id)));
}

#[tokio::test]
async fn a_method_an_endpoint_does_not_serve_is_an_unsupported_request() {
    let emu = TestEmulator::start().await;
    let resp = emu.get(emu.url("v25.0/123/messages")).await;
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], 100);
    assert_eq!(body["error"]["type"], "GraphMethodException");
}
