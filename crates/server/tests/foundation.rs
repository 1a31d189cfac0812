//! Accounts, staff, sessions, API tokens and destinations over real HTTP,
//! on SQLite and on PostgreSQL.

mod common;

use common::{assert_error, Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    logging_in_sets_an_http_only_session_cookie_and_me_answers,
    a_wrong_password_is_refused_without_saying_which_part_was_wrong,
    repeated_failed_logins_are_throttled_even_with_the_right_password,
    parallel_wrong_passwords_cannot_slip_past_the_throttle,
    control_characters_are_refused_naming_the_field_and_nul_never_fails_a_login,
    answers_with_secrets_are_never_cached,
    logging_out_ends_the_session,
    writes_with_a_session_cookie_need_the_csrf_token,
    an_agent_cannot_reach_admin_apis_but_can_set_availability,
    an_admin_manages_staff_with_clear_errors,
    an_account_always_keeps_one_admin,
    api_tokens_authenticate_until_revoked,
    destinations_keep_their_members_in_order_and_refuse_bad_input,
    another_account_cannot_read_change_or_use_the_first_accounts_data,
    bad_bodies_get_a_json_error_naming_the_problem,
    probes_request_ids_and_the_openapi_document,
    a_restart_keeps_every_record,
    every_staff_member_edits_their_own_names,
    changing_my_password_needs_the_current_one_and_ends_my_other_sessions,
    an_admin_resetting_a_password_logs_that_person_out_everywhere,
);

async fn logging_in_sets_an_http_only_session_cookie_and_me_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account_with_admin("Acme", "boss@acme.example", "correct horse battery")
        .await;
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "Boss@Acme.example", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("omnidesk_session=ods_"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["staff"]["email"], "boss@acme.example");
    assert_eq!(body["staff"]["role"], "admin");
    assert_eq!(body["account"]["name"], "Acme");
    assert!(body["staff"].get("password_hash").is_none());

    let mut client = app.anonymous();
    client
        .login("boss@acme.example", "correct horse battery")
        .await;
    let (status, me) = client.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["staff"]["first_name"], "Ada");
    assert_eq!(me["staff"]["availability"], "offline");
    assert_eq!(me["staff"]["capacity"], 5);
    assert_eq!(me["account"]["max_concurrent_visitors"], 200);
    // A reloaded page learns its session's CSRF token again from /me.
    assert_eq!(me["csrf_token"].as_str(), client.csrf.as_deref());

    assert_error(
        &app.anonymous().get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        None,
    );
}

async fn a_wrong_password_is_refused_without_saying_which_part_was_wrong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account_with_admin("Acme", "boss@acme.example", "correct horse battery")
        .await;
    let mut client = app.anonymous();
    let wrong_password = client.login("boss@acme.example", "wrong password!").await;
    let unknown_email = client
        .login("nobody@acme.example", "correct horse battery")
        .await;
    assert_error(
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        None,
    );
    assert_eq!(
        wrong_password.1, unknown_email.1,
        "both failures read the same"
    );
}

async fn repeated_failed_logins_are_throttled_even_with_the_right_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account_with_admin("Acme", "boss@acme.example", "correct horse battery")
        .await;
    let mut client = app.anonymous();
    for _ in 0..5 {
        assert_eq!(
            client
                .login("boss@acme.example", "guess guess guess")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = client
        .login("boss@acme.example", "correct horse battery")
        .await;
    assert_error(
        &throttled,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        None,
    );
}

async fn logging_out_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    assert_eq!(
        admin.post("/api/v1/auth/logout", json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &admin.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        None,
    );
}

async fn writes_with_a_session_cookie_need_the_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut admin = app.new_account("Acme").await;
    let csrf = admin.csrf.take();
    let forged = admin
        .post("/api/v1/destinations", json!({"name": "Sales"}))
        .await;
    assert_error(&forged, StatusCode::FORBIDDEN, "csrf_failed", None);
    admin.csrf = Some("not-the-token".into());
    assert_error(
        &admin
            .post("/api/v1/destinations", json!({"name": "Sales"}))
            .await,
        StatusCode::FORBIDDEN,
        "csrf_failed",
        None,
    );
    admin.csrf = csrf;
    assert_eq!(
        admin.get("/api/v1/destinations").await.1["items"],
        json!([]),
        "nothing was created"
    );
    assert_eq!(
        admin
            .post("/api/v1/destinations", json!({"name": "Sales"}))
            .await
            .0,
        StatusCode::CREATED
    );
}

async fn an_agent_cannot_reach_admin_apis_but_can_set_availability(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let agent = admin.staff_client("agent").await;
    for path in ["/api/v1/staff", "/api/v1/api-tokens"] {
        assert_error(
            &agent.get(path).await,
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        );
    }
    assert_error(
        &agent
            .post("/api/v1/destinations", json!({"name": "Mine"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_eq!(agent.get("/api/v1/destinations").await.0, StatusCode::OK);

    let (status, me) = agent
        .put(
            "/api/v1/me/availability",
            json!({"availability": "available"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["availability"], "available");
    assert_error(
        &agent
            .put("/api/v1/me/availability", json!({"availability": "busy"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("availability"),
    );
}

async fn an_admin_manages_staff_with_clear_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let (status, created) = admin
        .post(
            "/api/v1/staff",
            json!({"email": "Zoe@Acme.example", "password": "a long password", "role": "agent",
                   "first_name": "Zoë", "last_name": "Ng", "capacity": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["email"], "zoe@acme.example");
    assert_eq!(created["display_name"], "Zoë Ng");
    assert_eq!(created["capacity"], 3);
    let id = created["id"].as_str().unwrap();

    let duplicate = admin
        .post(
            "/api/v1/staff",
            json!({"email": "zoe@acme.example", "password": "a long password", "role": "agent",
                   "first_name": "Z", "last_name": "N"}),
        )
        .await;
    assert_error(&duplicate, StatusCode::CONFLICT, "conflict", None);
    for (body, field) in [
        (
            json!({"email": "nope", "password": "a long password", "role": "agent", "first_name": "A", "last_name": "B"}),
            "email",
        ),
        (
            json!({"email": "a@b.co", "password": "short", "role": "agent", "first_name": "A", "last_name": "B"}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "a long password", "role": "owner", "first_name": "A", "last_name": "B"}),
            "role",
        ),
        (
            json!({"email": "a@b.co", "password": "a long password", "role": "agent", "first_name": " ", "last_name": "B"}),
            "first_name",
        ),
        (
            json!({"email": "a@b.co", "password": "a long password", "role": "agent", "first_name": "A", "last_name": "B", "capacity": 0}),
            "capacity",
        ),
    ] {
        assert_error(
            &admin.post("/api/v1/staff", body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    assert_eq!(
        admin.get("/api/v1/staff").await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "nothing invalid was stored"
    );

    let (status, updated) = admin
        .patch(
            &format!("/api/v1/staff/{id}"),
            json!({"display_name": "Zoë from Support", "password": "another long one"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["display_name"], "Zoë from Support");
    assert_eq!(updated["first_name"], "Zoë");
    let mut zoe = app.anonymous();
    assert_eq!(
        zoe.login("zoe@acme.example", "another long one").await.0,
        StatusCode::OK
    );

    assert_eq!(
        admin.delete(&format!("/api/v1/staff/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &admin.get(&format!("/api/v1/staff/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    assert_error(
        &zoe.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        None,
    );
}

async fn an_account_always_keeps_one_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let me = admin.staff_id.clone().unwrap();
    assert_error(
        &admin.delete(&format!("/api/v1/staff/{me}")).await,
        StatusCode::CONFLICT,
        "conflict",
        None,
    );
    assert_error(
        &admin
            .patch(&format!("/api/v1/staff/{me}"), json!({"role": "agent"}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
        None,
    );
    let second = admin.create_staff("second@acme.example", "admin").await;
    assert_eq!(
        admin
            .patch(&format!("/api/v1/staff/{me}"), json!({"role": "agent"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        &admin.get("/api/v1/staff").await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let _ = second;
}

async fn api_tokens_authenticate_until_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let (status, created) = admin
        .post("/api/v1/api-tokens", json!({"name": "CRM sync"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("odk_"));
    let id = created["token"]["id"].as_str().unwrap().to_owned();

    let integration = Client::with_token(app.addr, &secret);
    let (status, me) = integration.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["staff"]["id"], admin.staff_id.clone().unwrap());
    assert!(me.get("csrf_token").is_none(), "{me}");
    // Bearer tokens are not ambient credentials: no CSRF token is needed.
    assert_eq!(
        integration
            .post("/api/v1/destinations", json!({"name": "Bots"}))
            .await
            .0,
        StatusCode::CREATED
    );

    let (_, listed) = admin.get("/api/v1/api-tokens").await;
    let listed_text = listed.to_string();
    assert!(
        !listed_text.contains(&secret),
        "the secret is shown only once"
    );
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");

    assert_eq!(
        admin.delete(&format!("/api/v1/api-tokens/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &integration.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        None,
    );
    assert_error(
        &Client::with_token(app.addr, "odk_made_up")
            .get("/api/v1/me")
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        None,
    );
}

async fn destinations_keep_their_members_in_order_and_refuse_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let a = admin.create_staff("a@acme.example", "agent").await;
    let b = admin.create_staff("b@acme.example", "agent").await;
    let (status, sales) = admin
        .post(
            "/api/v1/destinations",
            json!({"name": "Sales", "strategy": "longest_idle", "offer_timeout_secs": 45, "member_ids": [b, a]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sales}");
    assert_eq!(sales["member_ids"], json!([b, a]));
    assert_eq!(sales["strategy"], "longest_idle");
    let id = sales["id"].as_str().unwrap();

    let (_, defaults) = admin
        .post("/api/v1/destinations", json!({"name": "Support"}))
        .await;
    assert_eq!(defaults["strategy"], "ring_all");
    assert_eq!(defaults["offer_timeout_secs"], 30);

    assert_error(
        &admin
            .post("/api/v1/destinations", json!({"name": "Sales"}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
        None,
    );
    assert_error(
        &admin
            .post(
                "/api/v1/destinations",
                json!({"name": "X", "member_ids": [a, a]}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("member_ids[1]"),
    );
    assert_error(
        &admin
            .post(
                "/api/v1/destinations",
                json!({"name": "X", "offer_timeout_secs": 1}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("offer_timeout_secs"),
    );
    assert_error(
        &admin
            .post(
                "/api/v1/destinations",
                json!({"name": "X", "strategy": "random"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("strategy"),
    );

    let (status, reordered) = admin
        .patch(
            &format!("/api/v1/destinations/{id}"),
            json!({"member_ids": [a, b]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reordered}");
    assert_eq!(reordered["member_ids"], json!([a, b]));
    assert_eq!(reordered["name"], "Sales");

    // Removing a staff member takes them out of their teams.
    admin.delete(&format!("/api/v1/staff/{a}")).await;
    assert_eq!(
        admin.get(&format!("/api/v1/destinations/{id}")).await.1["member_ids"],
        json!([b])
    );

    assert_eq!(
        admin.delete(&format!("/api/v1/destinations/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &admin.get(&format!("/api/v1/destinations/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
}

async fn another_account_cannot_read_change_or_use_the_first_accounts_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let acme = app.new_account("Acme").await;
    let globex = app.new_account("Globex").await;
    let agent = acme.create_staff("agent@acme.example", "agent").await;
    let (_, team) = acme
        .post(
            "/api/v1/destinations",
            json!({"name": "Sales", "member_ids": [agent]}),
        )
        .await;
    let team = team["id"].as_str().unwrap().to_owned();
    let (_, token) = acme
        .post("/api/v1/api-tokens", json!({"name": "CRM"}))
        .await;
    let token = token["token"]["id"].as_str().unwrap().to_owned();

    for (path, change) in [
        (
            format!("/api/v1/staff/{agent}"),
            json!({"first_name": "Mine"}),
        ),
        (
            format!("/api/v1/destinations/{team}"),
            json!({"name": "Mine"}),
        ),
    ] {
        assert_error(
            &globex.get(&path).await,
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        assert_error(
            &globex.patch(&path, change).await,
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        assert_error(
            &globex.delete(&path).await,
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
    }
    assert_error(
        &globex.delete(&format!("/api/v1/api-tokens/{token}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    assert_error(
        &globex
            .post(
                "/api/v1/destinations",
                json!({"name": "Poach", "member_ids": [agent]}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("member_ids[0]"),
    );
    assert_error(
        &globex
            .post(
                "/api/v1/api-tokens",
                json!({"name": "as them", "staff_id": agent}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("staff_id"),
    );
    for path in [
        "/api/v1/staff",
        "/api/v1/destinations",
        "/api/v1/api-tokens",
    ] {
        let listed = globex.get(path).await.1.to_string();
        assert!(
            !listed.contains(&agent) && !listed.contains(&team) && !listed.contains(&token),
            "{path}: {listed}"
        );
    }
    // Acme's data is untouched.
    assert_eq!(
        acme.get(&format!("/api/v1/destinations/{team}")).await.1["member_ids"],
        json!([agent])
    );
}

async fn bad_bodies_get_a_json_error_naming_the_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let http = reqwest::Client::new();
    let response = http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");

    let missing = app
        .anonymous()
        .post("/api/v1/auth/login", json!({"email": "a@b.co"}))
        .await;
    assert_error(
        &missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        None,
    );
    assert!(
        missing.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{}",
        missing.1
    );

    let unknown_field = admin
        .post(
            "/api/v1/destinations",
            json!({"name": "X", "colour": "red"}),
        )
        .await;
    assert_error(
        &unknown_field,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        None,
    );
    assert!(
        unknown_field.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{}",
        unknown_field.1
    );

    let huge = "x".repeat(2 * 1024 * 1024);
    let too_large = admin
        .post("/api/v1/destinations", json!({"name": huge}))
        .await;
    assert_error(
        &too_large,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );

    assert_error(
        &admin.get("/api/v1/no-such-thing").await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
}

async fn probes_request_ids_and_the_openapi_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let http = reqwest::Client::new();
    let health = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().contains_key("x-request-id"));
    let ready = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let given = http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");

    let doc: serde_json::Value = http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me/availability", "put"),
        ("/api/v1/staff", "post"),
        ("/api/v1/staff/{id}", "patch"),
        ("/api/v1/staff/{id}", "delete"),
        ("/api/v1/api-tokens", "post"),
        ("/api/v1/api-tokens/{id}", "delete"),
        ("/api/v1/destinations", "get"),
        ("/api/v1/destinations/{id}", "patch"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
}

async fn a_restart_keeps_every_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let agent = admin.create_staff("kept@acme.example", "agent").await;
    admin
        .post(
            "/api/v1/destinations",
            json!({"name": "Sales", "member_ids": [agent]}),
        )
        .await;
    let app = app.restart().await;
    let mut client = app.anonymous();
    assert_eq!(
        client
            .login("kept@acme.example", "agent password 1")
            .await
            .0,
        StatusCode::OK
    );
    let (_, teams) = client.get("/api/v1/destinations").await;
    assert_eq!(teams["items"][0]["name"], "Sales");
    assert_eq!(teams["items"][0]["member_ids"], json!([agent]));
}

async fn every_staff_member_edits_their_own_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let agent = admin.staff_client("agent").await;
    let (status, staff) = agent
        .patch("/api/v1/me", json!({"display_name": "  Sam from Acme  "}))
        .await;
    assert_eq!(status, StatusCode::OK, "{staff}");
    assert_eq!(staff["display_name"], "Sam from Acme");
    assert_eq!(staff["first_name"], "Sam", "fields left out stay");
    assert_eq!(
        agent.get("/api/v1/me").await.1["staff"]["display_name"],
        "Sam from Acme"
    );
    assert_error(
        &agent.patch("/api/v1/me", json!({"first_name": " "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("first_name"),
    );
    // Role and capacity are the admin's to set.
    assert_eq!(
        agent.patch("/api/v1/me", json!({"role": "admin"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(agent.get("/api/v1/me").await.1["staff"]["role"], "agent");
}

async fn changing_my_password_needs_the_current_one_and_ends_my_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let email = format!("agent-{}@acme.example", common::uuid());
    admin.create_staff(&email, "agent").await;
    let mut here = app.anonymous();
    assert_eq!(
        here.login(&email, "agent password 1").await.0,
        StatusCode::OK
    );
    let mut elsewhere = app.anonymous();
    assert_eq!(
        elsewhere.login(&email, "agent password 1").await.0,
        StatusCode::OK
    );

    assert_error(
        &here
            .put(
                "/api/v1/me/password",
                json!({"current_password": "not it at all", "new_password": "a brand new secret"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("current_password"),
    );
    assert_error(
        &here
            .put(
                "/api/v1/me/password",
                json!({"current_password": "agent password 1", "new_password": "short"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("new_password"),
    );
    assert_eq!(
        here.put(
            "/api/v1/me/password",
            json!({"current_password": "agent password 1", "new_password": "a brand new secret"}),
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        here.get("/api/v1/me").await.0,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        elsewhere.get("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED,
        "the other session ended"
    );
    let mut again = app.anonymous();
    assert_eq!(
        again.login(&email, "agent password 1").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        again.login(&email, "a brand new secret").await.0,
        StatusCode::OK
    );
}

async fn an_admin_resetting_a_password_logs_that_person_out_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    let email = format!("agent-{}@acme.example", common::uuid());
    let id = admin.create_staff(&email, "agent").await;
    let mut agent = app.anonymous();
    assert_eq!(
        agent.login(&email, "agent password 1").await.0,
        StatusCode::OK
    );
    let (status, body) = admin
        .patch(
            &format!("/api/v1/staff/{id}"),
            json!({"password": "reset by the admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(agent.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        admin.get("/api/v1/me").await.0,
        StatusCode::OK,
        "the admin stays logged in"
    );
    assert_eq!(
        agent.login(&email, "reset by the admin").await.0,
        StatusCode::OK
    );
}

async fn parallel_wrong_passwords_cannot_slip_past_the_throttle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account_with_admin("Acme", "boss@acme.example", "correct horse battery")
        .await;
    let guesses = (0..30).map(|i| {
        let mut client = app.anonymous();
        tokio::spawn(async move {
            client
                .login("boss@acme.example", &format!("guess number {i}"))
                .await
                .0
        })
    });
    let mut wrong = 0;
    let mut throttled = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(wrong, 5, "only five guesses are checked");
    assert_eq!(throttled, 25);
}

async fn control_characters_are_refused_naming_the_field_and_nul_never_fails_a_login(
    backend: Backend,
) {
    // PostgreSQL cannot store U+0000 in text: both backends must refuse it
    // the same way, as a rule the user can act on, never as a 500.
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Acme").await;
    for (path, body, field) in [
        (
            "/api/v1/staff",
            json!({"email": "ann@acme.example", "password": "a long password", "role": "agent",
                   "first_name": "Ann\u{0}", "last_name": "Berg"}),
            "first_name",
        ),
        (
            "/api/v1/staff",
            json!({"email": "ann\u{0}@acme.example", "password": "a long password",
                   "role": "agent", "first_name": "Ann", "last_name": "Berg"}),
            "email",
        ),
        (
            "/api/v1/destinations",
            json!({"name": "Sales\u{0}"}),
            "name",
        ),
        ("/api/v1/api-tokens", json!({"name": "CRM\nsync"}), "name"),
    ] {
        assert_error(
            &admin.post(path, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    assert_error(
        &admin
            .patch("/api/v1/me", json!({"display_name": "Boss\u{1b}[31m"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("display_name"),
    );
    assert_eq!(
        admin.get("/api/v1/staff").await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let mut stranger = app.anonymous();
    assert_error(
        &stranger
            .login("boss\u{0}@acme.example", "whatever whatever")
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        None,
    );
}

async fn answers_with_secrets_are_never_cached(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account_with_admin("Acme", "boss@acme.example", "correct horse battery")
        .await;
    let http = reqwest::Client::new();
    let login = http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "boss@acme.example", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(login.headers()["cache-control"], "no-store");
    let admin = app.new_account("Bravo").await;
    let token = admin
        .send(
            reqwest::Method::POST,
            "/api/v1/api-tokens",
            Some(json!({"name": "CRM"})),
        )
        .await;
    assert_eq!(token.0, StatusCode::CREATED);
    let secret = token.1["secret"].as_str().unwrap();
    let me = http
        .get(app.url("/api/v1/me"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.headers()["cache-control"], "no-store");
    // The web app's own files keep their caching rules.
    let index = http.get(app.url("/")).send().await.unwrap();
    assert_eq!(index.headers()["cache-control"], "no-cache");
}
