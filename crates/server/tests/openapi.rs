//! `GET /api/openapi.json` describes every route the server serves, and
//! only those. Routes registered through `utoipa_axum::routes!` are in the
//! document by construction; what could drift is a route added beside it
//! with a plain `.route(…)`. So the test reads the server's source for such
//! calls (nothing to keep in sync by hand) and asks the running server for
//! every documented operation. Not database-bound: SQLite only.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Served but deliberately not an operation of the document, with why.
const UNDOCUMENTED: &[(&str, &str, &str)] = &[(
    "GET",
    "/api/openapi.json",
    "the document itself, built from everything else",
)];

async fn document(app: &TestApp) -> Value {
    let response = reqwest::get(app.url("/api/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every (METHOD, path) of the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if METHODS.contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];

/// The `.rs` files of the server crate.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10, "the server's source was found");
    files
}

/// Routes registered with a plain `.route("path", get(…).post(…))` in
/// `source`: (METHOD, path) pairs. Panics on registrations it cannot read
/// (`nest`, services), so a new kind of registration is noticed.
fn hand_routes(file: &Path, source: &str) -> Vec<(String, String)> {
    // Unit-test modules (at the end of a file) build routers of their own
    // that the server never serves.
    let source = source.split("#[cfg(test)]").next().unwrap_or(source);
    for unreadable in [
        ".nest(",
        ".nest_service(",
        ".route_service(",
        ".fallback_service(",
    ] {
        assert!(
            !source.contains(unreadable),
            "{}: `{unreadable}` registers routes this test cannot see; extend it",
            file.display()
        );
    }
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let args = balanced(rest);
        let path = args
            .trim_start()
            .strip_prefix('"')
            .and_then(|p| p.split('"').next())
            .unwrap_or_else(|| {
                panic!(
                    "{}: a .route( whose path is not a literal: {args}",
                    file.display()
                )
            });
        let mut methods = 0;
        for method in METHODS {
            let bytes = args.as_bytes();
            let mut from = 0;
            while let Some(i) = args[from..].find(&format!("{method}(")) {
                let i = from + i;
                let before = if i == 0 { b' ' } else { bytes[i - 1] };
                if !(before.is_ascii_alphanumeric() || before == b'_') {
                    found.push((method.to_uppercase(), path.to_owned()));
                    methods += 1;
                }
                from = i + 1;
            }
        }
        assert!(
            methods > 0,
            "{}: no method found for {path}",
            file.display()
        );
    }
    found
}

/// The text up to the parenthesis closing the one just opened.
fn balanced(text: &str) -> &str {
    let mut depth = 1;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced .route(");
}

#[tokio::test]
async fn every_route_added_beside_the_openapi_router_is_documented() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let documented = operations(&document(&app).await);
    let mut seen = 0;
    for file in sources() {
        let source = std::fs::read_to_string(&file).unwrap();
        for (method, path) in hand_routes(&file, &source) {
            seen += 1;
            let excused = UNDOCUMENTED
                .iter()
                .any(|(m, p, _)| *m == method && *p == path);
            assert!(
                excused || documented.contains(&(method.clone(), path.clone())),
                "{method} {path} ({}) is served but not in the OpenAPI document",
                file.display()
            );
        }
    }
    // The exceptions are real routes, found by the scan.
    assert_eq!(seen, UNDOCUMENTED.len(), "hand-registered routes");
}

#[tokio::test]
async fn facebooks_callbacks_and_the_event_socket_are_documented() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let documented = operations(&document(&app).await);
    for (method, path) in [
        ("GET", "/webhooks/facebook"),
        ("POST", "/webhooks/facebook"),
        ("POST", "/webhooks/facebook/deauthorize"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/channels/facebook/callback"),
    ] {
        assert!(
            documented.contains(&(method.to_owned(), path.to_owned())),
            "{method} {path} missing from {documented:?}"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    let client = reqwest::Client::new();
    let mut unserved = Vec::new();
    for (method, path) in operations(&doc) {
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    common::uuid()
                } else {
                    segment.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let response = client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&concrete),
            )
            .send()
            .await
            .unwrap();
        // Anonymous requests are refused by the handler (401, 403, 400, …);
        // only the router says 404 (no such path) or 405 (no such method).
        let status = response.status();
        if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED {
            unserved.push(format!("{method} {path} → {status}"));
        }
    }
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:#?}"
    );
}

#[tokio::test]
async fn every_operation_has_a_response_and_every_reference_resolves() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    for (method, path) in operations(&doc) {
        let responses = &doc["paths"][&path][method.to_lowercase()]["responses"];
        assert!(
            responses.as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} documents no response"
        );
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty(), "the document uses references");
    for reference in refs {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not local"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The web app's API types are generated from `ui/src/api/openapi.json`;
/// it must be the document the server serves.
#[tokio::test]
async fn the_committed_openapi_document_is_the_one_the_server_serves() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let served = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/openapi.json");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/gen-openapi", path.display()));
    assert!(
        committed == format!("{served}\n"),
        "ui/src/api/openapi.json is not the document the server serves: run scripts/gen-openapi \
         (and `npm run gen:api` in ui/) and commit the result"
    );
    // And `omnidesk openapi` (the script's source) prints that document.
    assert_eq!(server::routes::openapi_json(), served);
}

/// utoipa keeps one schema per component name, silently: two Rust types of
/// one name would make the document describe one of them wrongly.
#[test]
fn no_two_schemas_share_a_component_name() {
    let mut seen = std::collections::BTreeMap::new();
    let mut collisions = Vec::new();
    for (name, schema) in server::routes::registered_schemas() {
        match seen.get(&name) {
            Some(earlier) if *earlier != schema => {
                collisions.push(format!("{name}:\n  {earlier}\n  {schema}"));
            }
            Some(_) => {}
            None => {
                seen.insert(name, schema);
            }
        }
    }
    assert!(
        collisions.is_empty(),
        "component names claimed by different schemas (rename one, e.g. \
         #[schema(as = …)]):\n{}",
        collisions.join("\n")
    );
    // The check saw every component of the document.
    let doc: Value = serde_json::from_str(&server::routes::openapi_json()).unwrap();
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(seen.contains_key(name), "{name} was not checked");
    }
}

/// Query parameters are documented `in: query`, path parameters name a
/// segment of the path.
#[tokio::test]
async fn every_parameter_is_where_the_server_reads_it() {
    let doc: Value = serde_json::from_str(&server::routes::openapi_json()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    parameter["in"] == "path",
                    in_path,
                    "{method} {path}: parameter {name} is documented in {}",
                    parameter["in"]
                );
            }
        }
    }
}
