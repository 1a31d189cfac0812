//! Facebook Login: the OAuth dialog (a server-rendered consent form, or
//! auto-consent for tests) and `/oauth/access_token` (code → short-lived
//! token, `fb_exchange_token` → long-lived token).

use axum::extract::{Path, RawForm, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use url::Url;

use super::request::{apply_fault, check_version, GraphRequest};
use crate::control::types::AutoConsent;
use crate::fb_error::FbError;
use crate::html;
use crate::world::{AuthCode, Token, World, CODE_LIFETIME_MS, LONG_LIVED_SECS, SHORT_LIVED_SECS};
use crate::AppState;

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default()
}

fn first(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn all(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn scopes_of(pairs: &[(String, String)]) -> Vec<String> {
    first(pairs, "scope")
        .unwrap_or_default()
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn bad_dialog(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, html::error_page(message)).into_response()
}

/// The redirect back to the app, with extra query pairs.
fn back_to_app(redirect_uri: &str, extra: &[(&str, &str)]) -> Response {
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in extra {
                    q.append_pair(k, v);
                }
            }
            // Facebook answers the dialog with a 302 Found.
            (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
        }
        Err(_) => bad_dialog("redirect_uri is not a valid absolute URL."),
    }
}

/// Records the consent and issues an authorization code.
fn consent(
    world: &mut World,
    user_id: &str,
    scopes: &[String],
    pages: &[String],
    declined: &[String],
    redirect_uri: &str,
) -> String {
    let role_pages: Vec<String> = world
        .pages
        .values()
        .filter(|p| p.roles.contains_key(user_id))
        .map(|p| p.id.clone())
        .collect();
    if let Some(user) = world.users.get_mut(user_id) {
        user.app_removed = false;
        user.permissions.insert("public_profile".into(), true);
        for scope in scopes {
            user.permissions
                .insert(scope.clone(), !declined.contains(scope));
        }
        user.granted_pages = pages
            .iter()
            .filter(|p| role_pages.contains(p))
            .cloned()
            .collect();
    }
    let code = world.random_alnum(64);
    let now = world.now_ms();
    world.codes.insert(
        code.clone(),
        AuthCode {
            user_id: user_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            issued_at_ms: now,
            used: false,
        },
    );
    code
}

/// `GET /{ver}/dialog/oauth`: auto-consent or the consent form.
pub async fn dialog(
    State(state): State<AppState>,
    Path(ver): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if check_version(&ver).is_err() {
        return bad_dialog("Unknown API version.");
    }
    let q = pairs(query.as_deref());
    let mut world = state.lock();
    if first(&q, "client_id").as_deref() != Some(world.app_id.as_str()) {
        return bad_dialog("Invalid App ID: the client_id is not the emulated app.");
    }
    let Some(redirect_uri) = first(&q, "redirect_uri") else {
        return bad_dialog("The redirect_uri parameter is missing.");
    };
    let oauth_state = first(&q, "state").unwrap_or_default();
    let scopes = scopes_of(&q);
    let auto = world.auto_consent.clone().or_else(|| {
        (first(&q, "emulator_auto_consent").as_deref() == Some("1")).then(AutoConsent::default)
    });
    let chosen_user = first(&q, "emulator_user");
    if let Some(auto) = auto {
        let user_id = auto
            .user_id
            .or(chosen_user)
            .or_else(|| world.users.keys().next().cloned());
        let Some(user_id) = user_id.filter(|u| world.users.contains_key(u)) else {
            return bad_dialog("No such user: create one with POST /_emulator/users.");
        };
        let pages = auto.pages.unwrap_or_else(|| {
            world
                .pages
                .values()
                .filter(|p| p.roles.contains_key(&user_id))
                .map(|p| p.id.clone())
                .collect()
        });
        let code = consent(
            &mut world,
            &user_id,
            &scopes,
            &pages,
            &auto.declined,
            &redirect_uri,
        );
        return back_to_app(&redirect_uri, &[("code", &code), ("state", &oauth_state)]);
    }
    let user_id = chosen_user.or_else(|| {
        (world.users.len() == 1).then(|| world.users.keys().next().cloned().unwrap_or_default())
    });
    match user_id.and_then(|u| world.users.get(&u)) {
        None => html::dialog_user_picker(&world, &ver, &q).into_response(),
        Some(user) => {
            let pages: Vec<_> = world
                .pages
                .values()
                .filter(|p| p.roles.contains_key(&user.id))
                .collect();
            html::dialog_consent(&world.app_name, &ver, &q, user, &pages, &scopes).into_response()
        }
    }
}

/// `POST /{ver}/dialog/oauth`: the consent form was submitted.
pub async fn dialog_submit(
    State(state): State<AppState>,
    Path(ver): Path<String>,
    RawForm(form): RawForm,
) -> Response {
    if check_version(&ver).is_err() {
        return bad_dialog("Unknown API version.");
    }
    let f: Vec<(String, String)> = serde_urlencoded::from_bytes(&form).unwrap_or_default();
    let Some(redirect_uri) = first(&f, "redirect_uri") else {
        return bad_dialog("The redirect_uri parameter is missing.");
    };
    let oauth_state = first(&f, "state").unwrap_or_default();
    if first(&f, "action").as_deref() != Some("continue") {
        return back_to_app(
            &redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_code", "200"),
                ("error_description", "Permissions error"),
                ("error_reason", "user_denied"),
                ("state", &oauth_state),
            ],
        );
    }
    let mut world = state.lock();
    if first(&f, "client_id").as_deref() != Some(world.app_id.as_str()) {
        return bad_dialog("Invalid App ID: the client_id is not the emulated app.");
    }
    let Some(user_id) = first(&f, "user_id").filter(|u| world.users.contains_key(u)) else {
        return bad_dialog("Unknown user.");
    };
    let scopes = scopes_of(&f);
    let ticked = all(&f, "perm");
    let declined: Vec<String> = scopes
        .iter()
        .filter(|s| !ticked.contains(s))
        .cloned()
        .collect();
    let pages = all(&f, "page");
    let code = consent(
        &mut world,
        &user_id,
        &scopes,
        &pages,
        &declined,
        &redirect_uri,
    );
    back_to_app(&redirect_uri, &[("code", &code), ("state", &oauth_state)])
}

/// `GET|POST /{ver}/oauth/access_token`.
pub async fn access_token(
    State(state): State<AppState>,
    Path(ver): Path<String>,
    req: GraphRequest,
) -> Result<Response, FbError> {
    check_version(&ver)?;
    apply_fault(&state, "access_token", None).await?;
    let mut world = state.lock();
    if req.param_str("client_id").as_deref() != Some(world.app_id.as_str()) {
        return Err(FbError::other(
            101,
            None,
            "Error validating application. Invalid application ID.",
        ));
    }
    if req.param_str("client_secret").as_deref() != Some(world.app_secret.as_str()) {
        return Err(FbError::other(1, None, "Error validating client secret."));
    }
    let now = world.now_ms();
    let (user_id, long_lived) = if req.param_str("grant_type").as_deref()
        == Some("fb_exchange_token")
    {
        let short = req
            .param_str("fb_exchange_token")
            .ok_or_else(|| FbError::other(100, None, "Missing parameter fb_exchange_token"))?;
        let caller = world.check_token(&short)?;
        if caller.page_id.is_some() {
            return Err(FbError::other(
                100,
                None,
                "fb_exchange_token must be a user access token",
            ));
        }
        (caller.user_id, true)
    } else {
        let code = req
            .param_str("code")
            .ok_or_else(|| FbError::other(1, None, "Missing authorization code"))?;
        let redirect_uri = req
            .param_str("redirect_uri")
            .ok_or_else(|| FbError::other(100, None, "Missing redirect_uri parameter."))?;
        let Some(entry) = world.codes.get_mut(&code) else {
            return Err(FbError::other(
                100,
                None,
                "Invalid verification code format.",
            ));
        };
        if entry.used {
            return Err(FbError::other(
                100,
                Some(36009),
                "This authorization code has been used.",
            ));
        }
        if now - entry.issued_at_ms > CODE_LIFETIME_MS {
            return Err(FbError::other(
                100,
                Some(36007),
                "This authorization code has expired.",
            ));
        }
        if entry.redirect_uri != redirect_uri {
            return Err(FbError::other(
                    100,
                    Some(36008),
                    "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
                ));
        }
        entry.used = true;
        (entry.user_id.clone(), false)
    };
    let lifetime = if long_lived {
        LONG_LIVED_SECS
    } else {
        SHORT_LIVED_SECS
    };
    let token = world.issue_token(Token {
        user_id,
        page_id: None,
        issued_at_ms: now,
        expires_at_ms: Some(now + lifetime * 1000),
        long_lived,
        invalidated: None,
    });
    Ok(Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": lifetime,
    }))
    .into_response())
}
