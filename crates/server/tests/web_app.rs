//! The web app is served at `/`: its page for every client route, its
//! hashed assets cached for good, compressed when asked, under a strict
//! CSP; the API's namespaces keep their JSON 404. The tests serve a build
//! of their own (`Config::ui_dir`) so they do not depend on `ui/dist`.
//! Not database-bound: SQLite only.

mod common;

use common::{Backend, TestApp};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::Value;

const INDEX: &str = "<!doctype html><html><head><script type=\"module\" \
    src=\"/assets/index-4f3a9c.js\"></script></head><body><div id=\"app\"></div></body></html>";

/// A server whose web app is a small build in its data directory.
async fn app_with_build() -> TestApp {
    let app = TestApp::spawn_and(Backend::Sqlite, |config| {
        config.ui_dir = Some(config.data_dir.join("ui"));
    })
    .await;
    let dir = app.data_dir().join("ui");
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    let script = "export const greeting = 'hello';\n".repeat(200);
    std::fs::write(dir.join("assets/index-4f3a9c.js"), script).unwrap();
    std::fs::write(dir.join("assets/index-77aa01.css"), "body { margin: 0 }\n").unwrap();
    std::fs::write(
        dir.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    app
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

fn assert_is_the_apps_page_under_the_csp(response: &reqwest::Response) {
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(response, "content-type").starts_with("text/html"));
    assert_eq!(header(response, "cache-control"), "no-cache");
    let csp = header(response, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob: https:",
        "media-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(csp.contains("connect-src 'self' ws://127.0.0.1:"), "{csp}");
    assert_eq!(header(response, "x-frame-options"), "DENY");
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn the_app_is_served_at_the_root_and_at_every_client_route() {
    let app = app_with_build().await;
    for path in [
        "/",
        "/enquiries/0193a1b2-0000-7000-8000-000000000000",
        "/admin/channels/new",
    ] {
        let response = reqwest::get(app.url(path)).await.unwrap();
        assert_is_the_apps_page_under_the_csp(&response);
        assert_eq!(response.text().await.unwrap(), INDEX, "{path}");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_with_their_content_type() {
    let app = app_with_build().await;
    for (path, content_type) in [
        ("/assets/index-4f3a9c.js", "javascript"),
        ("/assets/index-77aa01.css", "text/css"),
    ] {
        let response = reqwest::get(app.url(path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(&response, "content-type").contains(content_type),
            "{path}: {}",
            header(&response, "content-type")
        );
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert!(response.headers().get("content-security-policy").is_none());
    }
    // Other files of the build are revalidated; a missing asset is a 404,
    // not the app's page.
    let favicon = reqwest::get(app.url("/favicon.svg")).await.unwrap();
    assert_eq!(favicon.status(), StatusCode::OK);
    assert!(header(&favicon, "content-type").starts_with("image/svg+xml"));
    assert_eq!(header(&favicon, "cache-control"), "no-cache");
    let gone = reqwest::get(app.url("/assets/index-000000.js"))
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    // No way out of the build's folder.
    let escape = reqwest::get(app.url("/assets/..%2f..%2fomnidesk.db"))
        .await
        .unwrap();
    assert_ne!(escape.status(), StatusCode::OK);
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_asks() {
    let app = app_with_build().await;
    let client = reqwest::Client::new();
    for encoding in ["gzip", "br"] {
        let response = client
            .get(app.url("/assets/index-4f3a9c.js"))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_ENCODING], encoding);
        assert!(response.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
        let body = response.bytes().await.unwrap();
        assert!(body.len() < 1000, "{encoding}: {} bytes", body.len());
        if encoding == "gzip" {
            assert_eq!(&body[..2], &[0x1f, 0x8b], "gzip magic");
        }
    }
    // The API too; and nothing is compressed for a client that did not ask.
    let document = client
        .get(app.url("/api/openapi.json"))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(document.headers()[CONTENT_ENCODING], "gzip");
    let plain = client.get(app.url("/")).send().await.unwrap();
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert!(plain.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn the_apis_namespaces_keep_their_json_404() {
    let app = app_with_build().await;
    let client = reqwest::Client::new();
    for path in [
        "/api/v1/nope",
        "/api",
        "/api/v2/enquiries",
        "/webhooks/nope",
        "/healthz/x",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(header(&response, "content-type").starts_with("application/json"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    // Only GETs reach the app.
    let post = client.post(app.url("/enquiries")).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_built_in_app_is_served_without_a_ui_dir() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = reqwest::get(app.url("/")).await.unwrap();
    assert_is_the_apps_page_under_the_csp(&response);
    let text = response.text().await.unwrap();
    assert!(text.to_lowercase().contains("<!doctype html>"), "{text}");
}
