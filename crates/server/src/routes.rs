//! Every route of the server, in one place, with the OpenAPI document
//! generated from the same list (so the document cannot miss an endpoint).

use axum::extract::DefaultBodyLimit;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, Request};
use axum::http::{StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::api::{attachments, channels, enquiries, facebook_login};
use crate::api::{console, conversation};
use crate::api::{destinations, health, offers, profile, routing, session, staff, tokens};
use crate::error::ApiError;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(OpenApi)]
#[openapi(
    info(title = "omnidesk", description = "Omnichannel contact center API. Errors are \
        `{\"error\":{\"code\",\"message\",\"field\"}}`. Browser sessions send `X-CSRF-Token` on \
        writes; integrations use `Authorization: Bearer odk_…`."),
    tags(
        (name = "session", description = "Logging in, the caller's own record"),
        (name = "staff", description = "Staff members (admins)"),
        (name = "api-tokens", description = "Bearer tokens for integrations (admins)"),
        (name = "destinations", description = "Teams that enquiries are routed to"),
        (name = "channels", description = "Facebook Pages connected as channels, Facebook Login"),
        (name = "routing", description = "Offers, missed enquiries, routing traces, the simulator"),
        (name = "enquiries", description = "Enquiries, their messages and files"),
        (name = "conversations", description = "Serving enquiries: replies, files, close, transfer, live events"),
        (name = "health", description = "Probes"),
        (name = "webhooks", description = "Callbacks Facebook calls: webhook deliveries, deauthorize"),
    )
)]
struct ApiDoc;

/// The API's routes (Facebook's callbacks aside, which have states of their
/// own), not yet given the state, each with the schemas it registers.
fn route_list() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(health::healthz),
        routes!(health::readyz),
        routes!(session::login),
        routes!(session::logout),
        routes!(session::me, profile::update_me),
        routes!(profile::change_password),
        routes!(session::set_availability),
        routes!(staff::list, staff::create),
        routes!(staff::get, staff::update, staff::delete),
        routes!(console::team),
        routes!(console::supervision),
        routes!(tokens::list, tokens::create),
        routes!(tokens::revoke),
        routes!(destinations::list, destinations::create),
        routes!(
            destinations::get,
            destinations::update,
            destinations::delete
        ),
        routes!(offers::list),
        routes!(offers::accept),
        routes!(offers::decline),
        routes!(routing::missed),
        routes!(routing::pick_up),
        routes!(routing::routing_trace),
        routes!(routing::simulate),
        routes!(routing::preview),
        routes!(routing::account_settings, routing::update_account_settings),
        routes!(channels::list),
        routes!(channels::get, channels::update, channels::delete),
        routes!(channels::suspend),
        routes!(channels::resume),
        routes!(channels::check),
        routes!(facebook_login::start),
        routes!(facebook_login::callback),
        routes!(facebook_login::popup_script),
        routes!(facebook_login::get_login),
        routes!(facebook_login::connect_pages),
        routes!(enquiries::list),
        routes!(enquiries::get),
        routes!(enquiries::messages),
        routes!(attachments::download),
        routes!(conversation::send_text),
        {
            let (schemas, paths, method) = routes!(conversation::send_file);
            let limit = DefaultBodyLimit::max(conversation::FILE_BODY_LIMIT);
            (schemas, paths, method.layer(limit))
        },
        routes!(conversation::mark_read),
        routes!(conversation::typing),
        routes!(conversation::close),
        routes!(conversation::transfer),
        routes!(conversation::my_enquiries),
        routes!(crate::ws::events),
    ]
}

/// The API's routes, not yet given the state: the document is read from
/// them without one.
fn routes() -> OpenApiRouter<AppState> {
    route_list().into_iter().fold(
        OpenApiRouter::with_openapi(ApiDoc::openapi()),
        |router, route| router.routes(route),
    )
}

/// Every schema the routes register, as `(component name, schema JSON)`,
/// duplicates included: utoipa keeps one schema per name, silently, so the
/// tests check that no two different schemas claim one name.
pub fn registered_schemas() -> Vec<(String, String)> {
    route_list()
        .into_iter()
        .flat_map(|(schemas, _, _)| schemas)
        .chain(crate::webhooks::schemas())
        .chain(crate::webhooks::deauthorize::schemas())
        .chain(extra_schemas())
        .map(|(name, schema)| {
            let json = serde_json::to_string(&schema).expect("a schema serialises");
            (name, json)
        })
        .collect()
}

/// Components the document carries beside the routes' own.
fn extra_schemas() -> Vec<(
    String,
    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
)> {
    Vec::new()
}

/// The OpenAPI document of every route the server serves, built without a
/// database or any state (`omnidesk openapi`, `scripts/gen-openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = routes().split_for_parts();
    doc.merge(crate::webhooks::openapi());
    doc.merge(crate::webhooks::deauthorize::openapi());
    unique_operation_ids(&mut doc);
    doc
}

/// Gives every operation a unique `operationId`. utoipa names operations
/// after their handler functions, so `staff::list` and `offers::list` were
/// both `list` — and generated clients keep one `list`. A shared name gets
/// the path's resource words appended (`list_offers`, `get_staff`).
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    fn operations(
        item: &mut utoipa::openapi::path::PathItem,
    ) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    }
    let mut uses: HashMap<String, usize> = HashMap::new();
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            if let Some(id) = &op.operation_id {
                *uses.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let resource: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty() && !s.starts_with('{') && *s != "api" && *s != "v1")
            .map(|s| s.replace(['-', '.'], "_"))
            .collect();
        for op in operations(item) {
            if let Some(id) = op.operation_id.as_mut() {
                if uses.get(id.as_str()).copied().unwrap_or(0) > 1 {
                    *id = format!("{id}_{}", resource.join("_"));
                }
            }
        }
    }
}

/// The API routes and their OpenAPI document.
pub fn api(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, _) = routes()
        // Facebook's callbacks have states of their own.
        .merge(crate::webhooks::router(state.clone()))
        .merge(crate::webhooks::deauthorize::router(state.clone()))
        .with_state(state)
        .split_for_parts();
    (router, openapi())
}

/// The whole application: API, OpenAPI document and the cross-cutting layers
/// (request ids, tracing, body limits, panics as 500s, security headers).
pub fn app(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let web_app = crate::ui::WebApp::new(&state.config);
    let csp = HeaderValue::from_str(&crate::ui::content_security_policy(&state.config))
        .expect("the CSP is a valid header value");
    let (api, _) = api(state);
    let openapi_json = openapi_json();
    api.route(
        "/api/openapi.json",
        axum::routing::get(move || async move {
            ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json)
        }),
    )
    // The web app: its files and client routes (the API's namespaces keep
    // their JSON 404).
    .fallback(move |method: Method, uri: Uri| async move { web_app.serve(&method, &uri).await })
    .layer(DefaultBodyLimit::max(max_body))
    .layer(axum::middleware::from_fn(crate::drain::drain_unread_body))
    .layer(CatchPanicLayer::custom(|_| {
        ApiError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
    }))
    .layer(axum::middleware::map_response({
        let add = crate::ui::html_security_headers(csp);
        move |response: Response| {
            let add = add.clone();
            async move { add(response) }
        }
    }))
    // gzip or brotli as the client accepts; never the WebSocket's 101.
    .layer(CompressionLayer::new().compress_when(
        DefaultPredicate::new()
            .and(|status: StatusCode, _: Version, _: &HeaderMap, _: &Extensions| {
                status != StatusCode::SWITCHING_PROTOCOLS
            }),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    ))
    // API answers carry sessions' CSRF tokens, new API token secrets and
    // customers' conversations: no cache keeps them. (The web app's files
    // say how long they may be kept themselves.)
    .layer(SetResponseHeaderLayer::if_not_present(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    ))
    .layer(PropagateRequestIdLayer::new(REQUEST_ID))
    .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
    }))
    .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The OpenAPI document as the server serves it at `/api/openapi.json`
/// (pretty JSON; the committed `ui/src/api/openapi.json` adds a newline).
pub fn openapi_json() -> String {
    openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

/// A JSON 404 for unknown paths (used as the router fallback).
pub async fn not_found() -> Json<serde_json::Value> {
    Json(serde_json::json!({"error": {"code": "not_found", "message": "not found"}}))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_its_own_operation_id() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let mut seen = std::collections::BTreeMap::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                    if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                        panic!("{id} names both {other} and {method} {path}");
                    }
                }
            }
        }
        assert_eq!(seen["list_offers"], "get /api/v1/offers");
        assert!(seen.len() > 40);
    }
}
