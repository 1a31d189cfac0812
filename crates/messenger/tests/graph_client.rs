//! The Graph client against a scripted fake Graph API on 127.0.0.1:0:
//! URLs, tokens and proofs on the wire, paging, multipart, error envelopes.
//! (The emulator crate tests the client against a faithful emulator too.)

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use messenger::graph::{
    appsecret_proof, AttachmentKind, ErrorClass, FileUpload, GraphClient, GraphConfig, GraphError,
    MessagingType, SendRequest, SenderAction,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "EAAB-page-token";
const SECRET: &str = "app-secret";

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    content_type: String,
    body: Vec<u8>,
}

impl Seen {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

type Script = Arc<dyn Fn(&Seen, &str) -> Response + Send + Sync>;

#[derive(Clone)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Script,
    base: String,
}

async fn handle(
    State(f): State<Fake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        method,
        path: uri.path().to_owned(),
        query: url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: body.to_vec(),
    };
    f.seen.lock().unwrap().push(seen.clone());
    if seen.path.ends_with("/hang") {
        std::future::pending::<()>().await;
    }
    (f.script)(&seen, &f.base)
}

/// Starts a fake Graph API answering with `script`; returns a client for it
/// and the log of requests it received.
async fn fake(
    script: impl Fn(&Seen, &str) -> Response + Send + Sync + 'static,
) -> (GraphClient, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = Fake {
        seen: seen.clone(),
        script: Arc::new(script),
        base: base.clone(),
    };
    let app = Router::new().fallback(handle).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut config = GraphConfig::facebook("111", SECRET);
    config.base_url = base.parse().unwrap();
    config.timeout = Duration::from_secs(5);
    (GraphClient::new(config), seen)
}

fn json(status: u16, body: serde_json::Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[tokio::test]
async fn page_accounts_follow_paging_next_until_exhausted() {
    let (client, seen) = fake(|s, base| match s.q("after") {
        None => json(200, serde_json::json!({
            "data": [{"id": "1", "name": "P1", "access_token": "EAA1", "tasks": ["MESSAGING", "MODERATE"]}],
            "paging": {"cursors": {"after": "c1"}, "next": format!("{base}/v25.0/me/accounts?after=c1&access_token={TOKEN}")}
        })),
        Some(_) => json(200, serde_json::json!({"data": [{"id": 2, "name": "P2", "tasks": ["ANALYZE"]}], "paging": {"cursors": {}}})),
    })
    .await;
    let pages = client.page_accounts(TOKEN).await.unwrap();
    assert_eq!(
        pages.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert!(pages[0].can_message() && !pages[1].can_message());
    assert_eq!(pages[0].access_token.as_ref().unwrap().expose(), "EAA1");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/v25.0/me/accounts");
    assert_eq!(
        seen[0].q("fields"),
        Some("id,name,access_token,tasks,picture")
    );
    for s in seen.iter() {
        assert_eq!(s.q("access_token"), Some(TOKEN));
        assert_eq!(
            s.q("appsecret_proof"),
            Some(appsecret_proof(SECRET, TOKEN).as_str())
        );
    }
}

#[tokio::test]
async fn a_paging_next_on_another_host_is_fetched_from_the_configured_host() {
    let (client, seen) = fake(|s, _| match s.q("after") {
        None => json(
            200,
            serde_json::json!({
                "data": [{"permission": "pages_messaging", "status": "granted"}],
                "paging": {"next": "https://evil.example/v25.0/me/permissions?after=x"}
            }),
        ),
        Some(_) => json(
            200,
            serde_json::json!({"data": [{"permission": "pages_show_list", "status": "declined"}]}),
        ),
    })
    .await;
    let perms = client.permissions(TOKEN).await.unwrap();
    assert_eq!(perms.len(), 2);
    assert!(!perms[1].is_granted());
    let seen = seen.lock().unwrap();
    assert_eq!(seen[1].path, "/v25.0/me/permissions");
    assert_eq!(seen[1].q("access_token"), Some(TOKEN));
}

#[tokio::test]
async fn a_text_send_posts_the_documented_json_with_token_and_proof() {
    let (client, seen) = fake(|_, _| {
        json(
            200,
            serde_json::json!({"recipient_id": "PSID", "message_id": "m_sent"}),
        )
    })
    .await;
    let req = SendRequest::text("PSID", "Hello").with_metadata("crm:42");
    let resp = client.send_message("PAGE", TOKEN, &req).await.unwrap();
    assert_eq!(resp.message_id.as_deref(), Some("m_sent"));
    assert_eq!(resp.recipient_id.as_deref(), Some("PSID"));
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (s.method.clone(), s.path.as_str()),
        (Method::POST, "/v25.0/PAGE/messages")
    );
    assert!(s.content_type.starts_with("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
    assert_eq!(body, req.to_json());
    assert_eq!(
        s.q("appsecret_proof"),
        Some(appsecret_proof(SECRET, TOKEN).as_str())
    );
}

#[tokio::test]
async fn a_file_send_is_multipart_with_filedata_and_its_content_type() {
    let (client, seen) = fake(|_, _| {
        json(200, serde_json::json!({"recipient_id": "PSID", "message_id": "m_f", "attachment_id": "777"}))
    })
    .await;
    let file = FileUpload {
        kind: AttachmentKind::Image,
        filename: "a.png".into(),
        content_type: "image/png".into(),
        bytes: Bytes::from_static(b"\x89PNG-bytes"),
    };
    let resp = client
        .send_attachment_file("PAGE", TOKEN, "PSID", &MessagingType::human_agent(), file)
        .await
        .unwrap();
    assert_eq!(resp.attachment_id.as_deref(), Some("777"));
    let s = seen.lock().unwrap()[0].clone();
    assert!(s.content_type.starts_with("multipart/form-data"));
    let body = String::from_utf8_lossy(&s.body);
    assert!(
        body.contains(r#"name="filedata"; filename="a.png""#),
        "{body}"
    );
    assert!(body.contains("Content-Type: image/png"), "{body}");
    assert!(body.contains(r#"{"id":"PSID"}"#), "{body}");
    assert!(body.contains(r#""type":"image""#), "{body}");
    assert!(
        body.contains("MESSAGE_TAG") && body.contains("HUMAN_AGENT"),
        "{body}"
    );
    assert!(body.contains("PNG-bytes"));
}

#[tokio::test]
async fn uploads_return_the_attachment_id() {
    let (client, seen) = fake(|_, _| {
        json(
            200,
            serde_json::json!({"attachment_id": "1857777774821032"}),
        )
    })
    .await;
    let id = client
        .upload_attachment_url("PAGE", TOKEN, AttachmentKind::Video, "https://x/v.mp4")
        .await
        .unwrap();
    assert_eq!(id, "1857777774821032");
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(s.path, "/v25.0/PAGE/message_attachments");
    let body: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
    assert_eq!(
        body["message"]["attachment"]["payload"]["url"],
        "https://x/v.mp4"
    );
    assert_eq!(
        body["message"]["attachment"]["payload"]["is_reusable"],
        true
    );
}

#[tokio::test]
async fn a_window_error_is_classified_whatever_the_status() {
    let (client, _) = fake(|_, _| {
        json(400, serde_json::json!({"error": {
            "message": "(#10) This message is sent outside of allowed window.",
            "type": "OAuthException", "code": 10, "error_subcode": 2018278, "fbtrace_id": "A1b2C3"}}))
    })
    .await;
    let err = client
        .send_message("PAGE", TOKEN, &SendRequest::text("PSID", "late"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::WindowLapsed);
    assert!(
        matches!(&err, GraphError::Api { http_status: 400, fbtrace_id: Some(t), .. } if t == "A1b2C3")
    );
}

#[tokio::test]
async fn a_rate_limit_reports_when_access_returns() {
    let (client, _) = fake(|_, _| {
        let mut r = json(400, serde_json::json!({"error": {"message": "rate", "code": 80006, "is_transient": true}}));
        r.headers_mut().insert(
            "x-business-use-case-usage",
            r#"{"PAGE":[{"type":"messenger","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":3}]}"#
                .parse()
                .unwrap(),
        );
        r
    })
    .await;
    let err = client
        .sender_action("PAGE", TOKEN, "PSID", &SenderAction::TypingOn)
        .await
        .unwrap_err();
    assert_eq!(
        err.class(),
        ErrorClass::RateLimited {
            retry_after: Some(Duration::from_secs(180))
        }
    );
}

#[tokio::test]
async fn an_html_gateway_error_is_retryable() {
    let (client, _) =
        fake(|_, _| (StatusCode::BAD_GATEWAY, "<html>502</html>").into_response()).await;
    let err = client.me(TOKEN).await.unwrap_err();
    assert!(matches!(
        err,
        GraphError::Decode {
            http_status: 502,
            ..
        }
    ));
    assert_eq!(err.class(), ErrorClass::Retryable);
}

#[tokio::test]
async fn subscribe_accepts_a_string_true_and_names_a_refusal() {
    let (client, seen) = fake(|s, _| match s.method {
        Method::POST => json(200, serde_json::json!({"success": "true"})),
        _ => json(200, serde_json::json!({"success": false})),
    })
    .await;
    client
        .subscribe_app("PAGE", TOKEN, &["messages", "message_echoes"])
        .await
        .unwrap();
    let err = client.unsubscribe_app("PAGE", TOKEN).await.unwrap_err();
    assert!(matches!(
        err,
        GraphError::Unsuccessful {
            operation: "unsubscribe_app",
            ..
        }
    ));
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(s.path, "/v25.0/PAGE/subscribed_apps");
    assert_eq!(s.q("subscribed_fields"), Some("messages,message_echoes"));
}

#[tokio::test]
async fn debug_token_uses_the_app_token() {
    let (client, seen) = fake(|_, _| {
        json(200, serde_json::json!({"data": {"app_id": "111", "type": "USER", "is_valid": true, "expires_at": 0,
            "scopes": ["pages_messaging"], "granular_scopes": [{"scope": "pages_messaging", "target_ids": ["PAGE"]}], "user_id": "42"}}))
    })
    .await;
    let info = client.debug_token("user-token").await.unwrap();
    assert!(info.is_valid && info.grants_for("pages_messaging", "PAGE"));
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(s.q("input_token"), Some("user-token"));
    assert_eq!(s.q("access_token"), Some("111|app-secret"));
}

#[tokio::test]
async fn the_code_exchange_sends_the_identical_redirect_uri() {
    let (client, seen) = fake(|_, _| {
        json(200, serde_json::json!({"access_token": "EAA-user", "token_type": "bearer", "expires_in": 5183944}))
    })
    .await;
    let t = client
        .exchange_code("the-code", "https://desk.example/cb")
        .await
        .unwrap();
    assert_eq!(t.access_token.expose(), "EAA-user");
    assert_eq!(t.expires_in, Some(5183944));
    assert!(!format!("{t:?}").contains("EAA-user"));
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(s.path, "/v25.0/oauth/access_token");
    assert_eq!(s.q("redirect_uri"), Some("https://desk.example/cb"));
    assert_eq!(s.q("client_secret"), Some(SECRET));
    assert_eq!(s.q("code"), Some("the-code"));
}

#[tokio::test]
async fn an_inaccessible_profile_still_names_the_psid() {
    let (client, _) = fake(|_, _| json(200, serde_json::json!({}))).await;
    let p = client.user_profile("PSID", TOKEN).await.unwrap();
    assert_eq!(p.id, "PSID");
    assert_eq!(p.display_name(), None);
}

#[tokio::test]
async fn a_slow_graph_times_out_without_leaking_the_token() {
    let (client, _) = fake(|_, _| json(200, serde_json::json!({}))).await;
    let mut config = client.config().clone();
    config.timeout = Duration::from_millis(200);
    let client = GraphClient::new(config);
    let err = client.user_profile("hang", TOKEN).await.unwrap_err();
    assert!(
        matches!(err, GraphError::Transport { timeout: true, .. }),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Retryable);
    assert!(!err.to_string().contains(TOKEN) && !format!("{err:?}").contains(TOKEN));
}
