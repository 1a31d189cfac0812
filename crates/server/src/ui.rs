//! The web app: the Vite build in `ui/dist`, served at `/`.
//!
//! Release builds embed `ui/dist` in the binary; debug builds read it from
//! disk at run time (rust-embed's behaviour without `debug-embed`), so UI
//! engineers rebuild the app without recompiling the server.
//! `Config::ui_dir` serves another folder instead (tests).
//!
//! * `/assets/*` are Vite's content-hashed files: cached for a year,
//!   immutable; a missing one is a 404, never the app's page.
//! * Every other GET outside the server's own namespaces (`/api/`,
//!   `/webhooks/`, `/healthz`, `/readyz`) is a file of the build when one
//!   has that name, or else a client route of the app: `index.html`, never
//!   cached (`no-cache`), so a new build is picked up at once.
//! * HTML responses (the app, Facebook Login's popup page) carry a strict
//!   Content-Security-Policy and `X-Frame-Options: DENY`
//!   ([`html_security_headers`]).

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::config::Config;
use crate::error::ApiError;

#[derive(rust_embed::RustEmbed)]
#[folder = "../../ui/dist/"]
struct Dist;

/// Hashed assets never change under their name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Revalidated on every use.
const NO_CACHE: &str = "no-cache";

/// Where the app's files come from.
#[derive(Debug, Clone)]
pub struct WebApp {
    dir: Option<PathBuf>,
}

impl WebApp {
    pub fn new(config: &Config) -> Arc<Self> {
        Arc::new(Self {
            dir: config.ui_dir.clone(),
        })
    }

    /// The file at `relative` (e.g. `assets/index-3f2a.js`), if the build has it.
    async fn file(&self, relative: &str) -> Option<Cow<'static, [u8]>> {
        let path = Path::new(relative);
        if relative.is_empty()
            || relative.contains('\\')
            || !path.components().all(|c| matches!(c, Component::Normal(_)))
        {
            return None;
        }
        match &self.dir {
            None => Dist::get(relative).map(|file| file.data),
            Some(dir) => {
                let full = dir.join(path);
                match tokio::fs::metadata(&full).await {
                    Ok(meta) if meta.is_file() => tokio::fs::read(&full).await.ok().map(Cow::Owned),
                    _ => None,
                }
            }
        }
    }

    /// The router's fallback: the app's files and client routes; the
    /// server's own namespaces keep answering the API's JSON 404.
    pub async fn serve(&self, method: &Method, uri: &Uri) -> Response {
        let path = uri.path();
        if !(method == Method::GET || method == Method::HEAD) || is_server_path(path) {
            return ApiError::NotFound.into_response();
        }
        let relative = path.trim_start_matches('/');
        if let Some(data) = self.file(relative).await {
            let cache = if relative.starts_with("assets/") {
                IMMUTABLE
            } else {
                NO_CACHE
            };
            return file_response(relative, data, cache);
        }
        if relative.starts_with("assets/") {
            return (StatusCode::NOT_FOUND, "no such asset").into_response();
        }
        match self.file("index.html").await {
            Some(data) => file_response("index.html", data, NO_CACHE),
            None => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, NO_CACHE)],
                "the web app is not built (ui/dist/index.html is missing)",
            )
                .into_response(),
        }
    }
}

fn file_response(name: &str, data: Cow<'static, [u8]>, cache: &'static str) -> Response {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let content_type = if mime.type_() == mime_guess::mime::TEXT
        || mime.essence_str() == "application/javascript"
    {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_owned()
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        Body::from(data),
    )
        .into_response()
}

/// Paths the server answers itself (or answers 404 for): never the app.
pub fn is_server_path(path: &str) -> bool {
    ["/api", "/webhooks", "/healthz", "/readyz"]
        .iter()
        .any(|prefix| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

/// The Content-Security-Policy of every HTML page the server sends.
///
/// Images may come from anywhere over https (visitors' profile pictures are
/// Facebook's) and from the Graph API's origin when that is plain http (the
/// emulator, which serves the demo's pictures); the page talks only to its
/// own origin, the WebSocket included (named explicitly, as older browsers
/// do not count `ws:` as `'self'`).
pub fn content_security_policy(config: &Config) -> String {
    let mut img = String::from("'self' data: blob: https:");
    if config.graph_url.scheme() == "http" {
        img.push(' ');
        img.push_str(&config.graph_url.origin().ascii_serialization());
    }
    let mut connect = String::from("'self'");
    if let Some(ws) = websocket_origin(&config.public_url) {
        connect.push(' ');
        connect.push_str(&ws);
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; \
         media-src 'self' blob:; connect-src {connect}; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'; object-src 'none'"
    )
}

/// `ws://host:port` for `http://host:port/…`, `wss://…` for https.
fn websocket_origin(public_url: &Url) -> Option<String> {
    let origin = public_url.origin();
    if !origin.is_tuple() {
        return None;
    }
    let http = origin.ascii_serialization();
    http.strip_prefix("https://")
        .map(|rest| format!("wss://{rest}"))
        .or_else(|| {
            http.strip_prefix("http://")
                .map(|rest| format!("ws://{rest}"))
        })
}

/// Adds the CSP and `X-Frame-Options: DENY` to HTML responses.
pub fn html_security_headers(csp: HeaderValue) -> impl Fn(Response) -> Response + Clone {
    move |mut response: Response| {
        let is_html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if is_html {
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_own_namespaces_are_never_the_app() {
        for path in [
            "/api",
            "/api/v1/nope",
            "/webhooks/facebook",
            "/healthz",
            "/readyz",
        ] {
            assert!(is_server_path(path), "{path}");
        }
        for path in ["/", "/apiary", "/enquiries/1", "/healthzzz", "/assets/a.js"] {
            assert!(!is_server_path(path), "{path}");
        }
    }

    #[test]
    fn the_csp_names_the_http_graph_origin_and_the_websocket_origin() {
        let mut config = Config::load(Default::default(), Default::default(), Default::default())
            .expect("defaults");
        config.public_url = Url::parse("https://desk.example/").unwrap();
        let csp = content_security_policy(&config);
        assert!(
            csp.contains("connect-src 'self' wss://desk.example;"),
            "{csp}"
        );
        assert!(csp.contains("img-src 'self' data: blob: https:;"), "{csp}");
        config.public_url = Url::parse("http://127.0.0.1:8080").unwrap();
        config.graph_url = Url::parse("http://127.0.0.1:8090/").unwrap();
        let csp = content_security_policy(&config);
        assert!(
            csp.contains("connect-src 'self' ws://127.0.0.1:8080;"),
            "{csp}"
        );
        assert!(
            csp.contains("img-src 'self' data: blob: https: http://127.0.0.1:8090;"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
}
