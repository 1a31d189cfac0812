//! Tenant isolation, proven for every endpoint: account A is populated
//! through real flows (staff, destination, API token, a connected Page,
//! visitors whose messages open enquiries, offers, an accepted enquiry with
//! replies and a file, a Facebook Login), then account B's admin and agent
//! call every operation of the OpenAPI document whose path has an `{id}`
//! with A's real ids. Each must answer 404 `not_found`, exactly like an id
//! that does not exist (docs/API-DESIGN.md, "Tenancy"), and A's data must
//! be unchanged afterwards. A new endpoint with an id that this file does
//! not know fails the test until it is covered here.

mod common;

use common::flows::{eventually, set_availability};

use std::collections::BTreeMap;

use common::{Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Account A's ids, by the resource segment of the path they belong in.
struct Tenant {
    admin: Client,
    agent: Client,
    page_id: String,
    /// Resource (`staff`, `enquiries`, …) → A's real ids of that kind.
    ids: BTreeMap<&'static str, Vec<String>>,
    /// The accepted enquiry, its attachment's download path.
    served_enquiry: String,
    open_enquiry: String,
    download_url: String,
}

/// An open offer of `client` for the enquiry not yet in `seen`.
async fn new_offer(client: &Client, seen: &[String]) -> Value {
    eventually("an offer", || async {
        let (status, body) = client.get("/api/v1/offers").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()?
            .iter()
            .find(|o| !seen.iter().any(|e| o["enquiry_id"] == e.as_str()))
            .cloned()
    })
    .await
}

fn upload() -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(b"%PDF-1.4 quote".to_vec())
        .file_name("quote.pdf")
        .mime_str("application/pdf")
        .unwrap();
    reqwest::multipart::Form::new().part("file", part)
}

async fn populate(app: &TestApp) -> Tenant {
    let admin = app.new_account("Alpha").await;
    let agent = admin.staff_client("agent").await;
    let admin_id = admin.staff_id.clone().unwrap();
    let agent_id = agent.staff_id.clone().unwrap();
    for client in [&admin, &agent] {
        set_availability(client, "available").await;
    }
    let (status, dest) = admin
        .post(
            "/api/v1/destinations",
            json!({"name": "Support", "member_ids": [admin_id, agent_id],
                   "offer_timeout_secs": 600}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dest}");
    let destination_id = dest["id"].as_str().unwrap().to_owned();
    let page = app.connect_page(&admin, "Alpha Page").await;
    let (status, body) = admin
        .patch(
            &format!("/api/v1/channels/{}", page.channel_id),
            json!({"routing": {"rule": "alternative", "sticky": false, "time_zone": "UTC",
                               "destinations": [{"id": destination_id}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, token) = admin
        .post("/api/v1/api-tokens", json!({"name": "crm"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let token_id = token["token"]["id"].as_str().unwrap().to_owned();

    // A visitor is offered to both members; the admin accepts and serves.
    let fb = app.fb();
    let first = app.visitor(&page.page_id, "Vera").await;
    fb.send_text(&first, "Hello, I need help").await.unwrap();
    let offer = new_offer(&admin, &[]).await;
    let served_offer = offer["id"].as_str().unwrap().to_owned();
    let served_enquiry = offer["enquiry_id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .post(&format!("/api/v1/offers/{served_offer}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = admin
        .post(
            &format!("/api/v1/enquiries/{served_enquiry}/messages"),
            json!({"text": "How can I help?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, sent_file) = admin
        .post_multipart(
            &format!("/api/v1/enquiries/{served_enquiry}/files"),
            upload(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent_file}");

    // A second visitor's offer stays open with the agent.
    let second = app.visitor(&page.page_id, "Walt").await;
    fb.send_text(&second, "Is anyone there?").await.unwrap();
    let open = new_offer(&agent, std::slice::from_ref(&served_enquiry)).await;
    let open_offer = open["id"].as_str().unwrap().to_owned();
    let open_enquiry = open["enquiry_id"].as_str().unwrap().to_owned();

    let messages = admin
        .get(&format!("/api/v1/enquiries/{served_enquiry}/messages"))
        .await
        .1;
    let attachment = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m["attachments"].as_array().and_then(|a| a.first()).cloned())
        .unwrap_or_else(|| panic!("the file is in the conversation: {messages}"));
    let attachment_id = attachment["id"].as_str().unwrap().to_owned();
    let download_url = attachment["download_url"].as_str().unwrap().to_owned();

    // A Facebook Login of A's admin (the Page's consent is still set).
    let (status, login) = app.facebook_login(&admin).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let login_id = login["id"].as_str().unwrap().to_owned();

    let ids = BTreeMap::from([
        ("staff", vec![agent_id, admin_id]),
        ("api-tokens", vec![token_id]),
        ("destinations", vec![destination_id]),
        ("channels", vec![page.channel_id.clone()]),
        ("logins", vec![login_id]),
        (
            "enquiries",
            vec![served_enquiry.clone(), open_enquiry.clone()],
        ),
        ("offers", vec![open_offer, served_offer]),
        ("attachments", vec![attachment_id]),
    ]);
    Tenant {
        admin,
        agent,
        page_id: page.page_id,
        ids,
        served_enquiry,
        open_enquiry,
        download_url,
    }
}

/// The resource an `{id}` path parameter names: the segment before it
/// (`/api/v1/channels/facebook/logins/{id}/connect` → `logins`).
fn resource_of(path: &str) -> &str {
    let before = path.split("/{").next().unwrap();
    before.rsplit('/').next().unwrap()
}

/// What each operation with an id is sent: a body valid in every respect
/// but the id, so that only the id decides the answer.
enum Body {
    None,
    Json(Value),
    File,
}

fn body_for(operation: &str, page_id: &str, own_staff: &str) -> Option<Body> {
    let body = match operation {
        "GET /api/v1/staff/{id}"
        | "DELETE /api/v1/staff/{id}"
        | "DELETE /api/v1/api-tokens/{id}"
        | "GET /api/v1/destinations/{id}"
        | "DELETE /api/v1/destinations/{id}"
        | "GET /api/v1/channels/{id}"
        | "DELETE /api/v1/channels/{id}"
        | "GET /api/v1/channels/{id}/routing/preview"
        | "GET /api/v1/channels/facebook/logins/{id}"
        | "GET /api/v1/enquiries/{id}"
        | "GET /api/v1/enquiries/{id}/messages"
        | "GET /api/v1/enquiries/{id}/routing-trace"
        | "GET /api/v1/attachments/{id}" => Body::None,
        "PATCH /api/v1/staff/{id}" => Body::Json(json!({"first_name": "Mallory"})),
        "PATCH /api/v1/destinations/{id}" => Body::Json(json!({"name": "Taken over"})),
        "PATCH /api/v1/channels/{id}" => Body::Json(json!({"name": "Taken over"})),
        "POST /api/v1/channels/{id}/suspend"
        | "POST /api/v1/channels/{id}/resume"
        | "POST /api/v1/channels/{id}/check"
        | "POST /api/v1/channels/{id}/routing/simulate"
        | "POST /api/v1/enquiries/{id}/read"
        | "POST /api/v1/enquiries/{id}/close"
        | "POST /api/v1/enquiries/{id}/pick-up"
        | "POST /api/v1/offers/{id}/accept"
        | "POST /api/v1/offers/{id}/decline" => Body::Json(json!({})),
        "POST /api/v1/channels/facebook/logins/{id}/connect" => {
            Body::Json(json!({"page_ids": [page_id]}))
        }
        "POST /api/v1/enquiries/{id}/messages" => Body::Json(json!({"text": "Mine now"})),
        "POST /api/v1/enquiries/{id}/typing" => Body::Json(json!({"typing": true})),
        "POST /api/v1/enquiries/{id}/transfer" => Body::Json(json!({"staff_id": own_staff})),
        "POST /api/v1/enquiries/{id}/files" => Body::File,
        _ => return None,
    };
    Some(body)
}

/// Operations whose path parameter is not an account's id, and why.
const NOT_ACCOUNT_SCOPED: &[(&str, &str)] = &[];

async fn call(client: &Client, method: &Method, path: &str, body: &Body) -> (StatusCode, Value) {
    match body {
        Body::None => client.send(method.clone(), path, None).await,
        Body::Json(value) => client.send(method.clone(), path, Some(value.clone())).await,
        Body::File => client.post_multipart(path, upload()).await,
    }
}

/// Every (method, path template) of the document with a `{…}` parameter.
async fn operations_with_ids(app: &TestApp) -> Vec<(Method, String)> {
    let (status, doc) = app.anonymous().get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                found.push((method, path.clone()));
            }
        }
    }
    assert!(
        found.len() >= 30,
        "the document lists the id operations: {found:?}"
    );
    found
}

/// What A sees of its own data; B's calls must not change any of it.
async fn snapshot(tenant: &Tenant) -> Vec<(String, Value)> {
    let mut paths = vec![
        "/api/v1/staff".to_owned(),
        "/api/v1/api-tokens".to_owned(),
        "/api/v1/destinations".to_owned(),
        "/api/v1/channels".to_owned(),
        format!("/api/v1/enquiries/{}", tenant.served_enquiry),
        format!("/api/v1/enquiries/{}", tenant.open_enquiry),
        format!(
            "/api/v1/channels/facebook/logins/{}",
            tenant.ids["logins"][0]
        ),
    ];
    paths.sort();
    let mut seen = Vec::new();
    for path in paths {
        let (status, body) = tenant.admin.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        seen.push((path, body));
    }
    // Messages change status as the outbox sends them; their number and
    // texts are what a stranger's write would change.
    let messages = tenant
        .admin
        .get(&format!(
            "/api/v1/enquiries/{}/messages",
            tenant.served_enquiry
        ))
        .await
        .1;
    let texts: Vec<Value> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| json!([m["id"], m["author"], m["text"], m["kind"]]))
        .collect();
    seen.push(("messages".into(), Value::Array(texts)));
    let trace = tenant
        .admin
        .get(&format!(
            "/api/v1/enquiries/{}/routing-trace",
            tenant.open_enquiry
        ))
        .await
        .1;
    let offers: Vec<Value> = trace["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| json!([o["id"], o["staff_id"], o["status"]]))
        .collect();
    seen.push(("offers".into(), Value::Array(offers)));
    for client in [&tenant.admin, &tenant.agent] {
        let open = client.get("/api/v1/offers").await.1;
        seen.push(("open offers".into(), open));
    }
    seen
}

async fn another_accounts_ids_answer_404_on_every_endpoint(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let a = populate(&app).await;
    let b_admin = app.new_account("Bravo").await;
    let b_agent = b_admin.staff_client("agent").await;
    let b_agent_id = b_agent.staff_id.clone().unwrap();
    // Wait for A's replies to be sent, so the snapshot is at rest.
    eventually("A's replies sent", || async {
        let m = a
            .admin
            .get(&format!("/api/v1/enquiries/{}/messages", a.served_enquiry))
            .await
            .1;
        let items = m["items"].as_array()?.clone();
        items
            .iter()
            .filter(|m| m["author"] == "staff")
            .all(|m| m["status"] == "sent" || m["status"] == "delivered")
            .then_some(())
    })
    .await;
    let before = snapshot(&a).await;

    let operations = operations_with_ids(&app).await;
    let mut uncovered = Vec::new();
    let mut leaks = Vec::new();
    for (method, template) in &operations {
        let operation = format!("{method} {template}");
        if NOT_ACCOUNT_SCOPED.iter().any(|(op, _)| *op == operation) {
            continue;
        }
        let Some(body) = body_for(&operation, &a.page_id, &b_agent_id) else {
            uncovered.push(operation);
            continue;
        };
        let resource = resource_of(template);
        let Some(ids) = a.ids.get(resource) else {
            uncovered.push(format!("{operation} (no id of A for `{resource}`)"));
            continue;
        };
        let unknown = template.replace("{id}", "0196f0d8c0de7000800000000000dead");
        for (who, client) in [("B's admin", &b_admin), ("B's agent", &b_agent)] {
            let (unknown_status, unknown_body) = call(client, method, &unknown, &body).await;
            for id in ids {
                let path = template.replace("{id}", id);
                let (status, answer) = call(client, method, &path, &body).await;
                let same_as_unknown = status == unknown_status
                    && answer["error"]["code"] == unknown_body["error"]["code"];
                let expected = status == StatusCode::NOT_FOUND
                    && answer["error"]["code"] == "not_found"
                    || (who == "B's agent" && status == StatusCode::FORBIDDEN);
                if !(same_as_unknown && expected) {
                    leaks.push(format!(
                        "{who}: {method} {path} answered {status} {answer} \
                         (an unknown id: {unknown_status} {unknown_body})"
                    ));
                }
            }
        }
    }
    assert!(
        uncovered.is_empty(),
        "operations with an id that this test does not cover (add a body to body_for): {uncovered:#?}"
    );
    assert!(leaks.is_empty(), "another account's ids leaked: {leaks:#?}");

    // A's data is exactly as it was, and A still reaches all of it.
    assert_eq!(snapshot(&a).await, before);
    let download = a.admin.raw(&a.download_url).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF-1.4 quote");
}

async fn lists_and_filters_never_show_another_accounts_records(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let a = populate(&app).await;
    let b_admin = app.new_account("Bravo").await;
    for path in [
        "/api/v1/staff",
        "/api/v1/api-tokens",
        "/api/v1/destinations",
        "/api/v1/channels",
        "/api/v1/enquiries",
        "/api/v1/enquiries/missed",
        "/api/v1/offers",
        "/api/v1/me/enquiries",
        "/api/v1/team",
        "/api/v1/supervision",
        "/api/v1/enquiries?q=a",
        "/api/v1/enquiries?q=%25",
        "/api/v1/enquiries?from=2000-01-01&to=2100-01-01",
    ] {
        let (status, body) = b_admin.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let text = body.to_string();
        for ids in a.ids.values() {
            for id in ids {
                assert!(!text.contains(id.as_str()), "{path} shows A's {id}: {body}");
            }
        }
    }
    // Filtering by A's ids finds nothing, like filtering by unknown ids.
    let a_visitor = a.admin.get("/api/v1/enquiries").await.1["items"][0]["visitor_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (param, id) in [
        ("channel_id", &a.ids["channels"][0]),
        ("staff_id", &a.ids["staff"][1]),
        ("visitor_id", &a_visitor),
        ("destination_id", &a.ids["destinations"][0]),
    ] {
        let (status, body) = b_admin
            .get(&format!("/api/v1/enquiries?{param}={id}"))
            .await;
        let (unknown_status, unknown) = b_admin
            .get(&format!("/api/v1/enquiries?{param}=nothing-like-it"))
            .await;
        assert_eq!(status, unknown_status, "{body} vs {unknown}");
        if status == StatusCode::OK {
            assert_eq!(body["items"], json!([]), "{body}");
        }
    }
    // A's own lists still show them (the filter above is not just broken).
    let (_, mine) = a
        .admin
        .get(&format!(
            "/api/v1/enquiries?channel_id={}",
            a.ids["channels"][0]
        ))
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2, "{mine}");
}

/// A request body naming the id it is given.
type BodyWith = Box<dyn Fn(&str) -> Value>;

async fn another_accounts_ids_in_a_request_body_are_unknown_ids(backend: Backend) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let a = populate(&app).await;
    let b_admin = app.new_account("Bravo").await;
    let b_agent = b_admin.staff_client("agent").await;
    let b_agent_id = b_agent.staff_id.clone().unwrap();
    let (status, dest) = b_admin
        .post(
            "/api/v1/destinations",
            json!({"name": "Bravo desk", "member_ids": [b_agent_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dest}");
    let b_dest = dest["id"].as_str().unwrap().to_owned();
    let a_staff = a.ids["staff"][0].clone();
    let a_dest = a.ids["destinations"][0].clone();
    let unknown = "0196f0d8c0de7000800000000000dead".to_owned();
    let cases: Vec<(Method, String, BodyWith)> = vec![
        (
            Method::POST,
            "/api/v1/destinations".into(),
            Box::new(|id| json!({"name": format!("New {id}"), "member_ids": [id]})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/destinations/{b_dest}"),
            Box::new(|id| json!({"member_ids": [id]})),
        ),
    ];
    for (method, path, body) in &cases {
        let theirs = b_admin
            .send(method.clone(), path, Some(body(&a_staff)))
            .await;
        let nobody = b_admin
            .send(method.clone(), path, Some(body(&unknown)))
            .await;
        assert_ne!(theirs.0.as_u16() / 100, 2, "{method} {path}: {}", theirs.1);
        assert_eq!(
            theirs.0, nobody.0,
            "{method} {path}: {} vs {}",
            theirs.1, nobody.1
        );
        assert_eq!(theirs.1["error"]["field"], nobody.1["error"]["field"]);
    }
    // A channel of B cannot route to A's destination.
    let b_page = app.connect_page(&b_admin, "Bravo Page").await;
    let path = format!("/api/v1/channels/{}", b_page.channel_id);
    let routing = |id: &str| {
        json!({"routing": {"rule": "alternative", "sticky": false, "time_zone": "UTC",
                           "destinations": [{"id": id}]}})
    };
    let theirs = b_admin.patch(&path, routing(&a_dest)).await;
    let nobody = b_admin.patch(&path, routing(&unknown)).await;
    assert_ne!(theirs.0, StatusCode::OK, "{}", theirs.1);
    assert_eq!(
        (theirs.0, &theirs.1["error"]["field"]),
        (nobody.0, &nobody.1["error"]["field"])
    );
    // The simulator does not take A's staff as "the agent before".
    let path = format!("/api/v1/channels/{}/routing/simulate", b_page.channel_id);
    let theirs = b_admin
        .post(
            &path,
            json!({"previous_staff_id": a_staff, "presence": {a_staff.clone(): "available"}}),
        )
        .await;
    let nobody = b_admin
        .post(
            &path,
            json!({"previous_staff_id": unknown, "presence": {unknown.clone(): "available"}}),
        )
        .await;
    assert_eq!(theirs.0, nobody.0, "{} vs {}", theirs.1, nobody.1);
    if theirs.0 == StatusCode::OK {
        // Whatever the simulation says of the id, it says the same of a
        // made-up one: it knows nothing more about A's agent.
        let masked = theirs.1.to_string().replace(&a_staff, &unknown);
        let mut theirs: Value = serde_json::from_str(&masked).unwrap();
        let mut nobody = nobody.1.clone();
        theirs["at"] = Value::Null;
        nobody["at"] = Value::Null;
        assert_eq!(theirs, nobody);
    }
    // A's destination is untouched by all of it.
    let (_, dest) = a.admin.get(&format!("/api/v1/destinations/{a_dest}")).await;
    assert_eq!(dest["name"], "Support", "{dest}");
}

on_both_backends!(
    another_accounts_ids_answer_404_on_every_endpoint,
    lists_and_filters_never_show_another_accounts_records,
    another_accounts_ids_in_a_request_body_are_unknown_ids,
);
