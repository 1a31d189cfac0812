//! Read endpoints: `/me`, `/{id}` (user, Page, PSID profile), `/me/accounts`,
//! `/me/permissions` and `/debug_token`.

use axum::extract::{Path, State};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::request::{apply_fault, authenticate, authenticate_app, check_version, GraphRequest};
use crate::fb_error::FbError;
use crate::world::{Caller, Token, World};
use crate::AppState;

type GraphResult = Result<Json<Value>, FbError>;

/// `me` is the Page for a Page token and the user for a user token.
pub fn resolve_me(caller: &Caller, id: &str) -> String {
    if id == "me" {
        caller
            .page_id
            .clone()
            .unwrap_or_else(|| caller.user_id.clone())
    } else {
        id.to_owned()
    }
}

fn requested_fields(req: &GraphRequest) -> Option<Vec<String>> {
    req.list("fields")
}

/// `GET /{ver}/{id}`: the user, a Page, or a visitor profile (User Profile API).
pub async fn get_object(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    let endpoint = if id == "me" { "me" } else { "profile" };
    apply_fault(&state, endpoint, None).await?;
    let world = state.lock();
    let caller = authenticate(&world, &req)?;
    let id = resolve_me(&caller, &id);
    if id == caller.user_id && caller.page_id.is_none() {
        let user = &world.users[&caller.user_id];
        return Ok(Json(json!({"id": user.id, "name": user.name})));
    }
    if let Some(page) = world.pages.get(&id) {
        let mut out = json!({"id": page.id, "name": page.name});
        if requested_fields(&req).is_some_and(|f| f.iter().any(|x| x == "picture")) {
            out["picture"] = json!({"data": {"url": page.picture}});
        }
        return Ok(Json(out));
    }
    if let Some(visitor) = world.visitors.get(&id) {
        if caller.page_id.as_deref() == Some(visitor.page_id.as_str()) {
            let fields = requested_fields(&req).unwrap_or_else(|| {
                ["first_name", "last_name", "profile_pic"]
                    .map(str::to_owned)
                    .to_vec()
            });
            let mut out = Map::new();
            for f in &fields {
                let v = match f.as_str() {
                    "first_name" => json!(visitor.first_name),
                    "last_name" => json!(visitor.last_name),
                    "name" => json!(format!("{} {}", visitor.first_name, visitor.last_name).trim()),
                    "profile_pic" => json!(visitor.profile_pic),
                    "id" => continue,
                    other => {
                        return Err(FbError::param(format!(
                            "Tried accessing nonexisting field ({other}) on node type (User)"
                        )))
                    }
                };
                out.insert(f.clone(), v);
            }
            out.insert("id".into(), json!(visitor.psid));
            return Ok(Json(Value::Object(out)));
        }
    }
    Err(FbError::unknown_object(&id))
}

/// `GET /{ver}/me/accounts`: the Pages the user has a role on and granted,
/// with Page tokens, paged with cursors and an absolute `paging.next`.
pub async fn accounts(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "accounts", None).await?;
    let mut world = state.lock();
    let caller = authenticate(&world, &req)?;
    if caller.page_id.is_some() || resolve_me(&caller, &id) != caller.user_id {
        return Err(FbError::unknown_object(&id));
    }
    if !world.has_permission(&caller.user_id, "pages_show_list") {
        return Err(FbError::permission(
            200,
            None,
            "Requires pages_show_list permission to access this endpoint",
        ));
    }
    let limit = req
        .param_str("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let after = req
        .param_str("after")
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let granted = world.users[&caller.user_id].granted_pages.clone();
    let all: Vec<String> = world
        .pages
        .values()
        .filter(|p| p.roles.contains_key(&caller.user_id) && granted.contains(&p.id))
        .map(|p| p.id.clone())
        .collect();
    let start = match &after {
        Some(cursor) => all.iter().position(|p| p > cursor).unwrap_or(all.len()),
        None => 0,
    };
    let slice: Vec<String> = all.iter().skip(start).take(limit).cloned().collect();
    let more = start + slice.len() < all.len();
    let want_picture = requested_fields(&req).is_some_and(|f| f.iter().any(|x| x == "picture"));
    let mut data = Vec::new();
    for page_id in &slice {
        let token = page_token(&mut world, &caller, page_id);
        let page = &world.pages[page_id];
        let mut item = json!({
            "id": page.id,
            "name": page.name,
            "category": "Business",
            "access_token": token,
            "tasks": world.tasks_of(&caller.user_id, page_id),
        });
        if want_picture {
            item["picture"] = json!({"data": {"url": page.picture}});
        }
        data.push(item);
    }
    let mut out = json!({"data": data});
    if let (Some(firstp), Some(lastp)) = (slice.first(), slice.last()) {
        let after_cursor = URL_SAFE_NO_PAD.encode(lastp);
        let mut paging = json!({"cursors": {
            "before": URL_SAFE_NO_PAD.encode(firstp),
            "after": after_cursor,
        }});
        if more {
            let mut next = state
                .base_url
                .join(&format!("{ver}/{id}/accounts"))
                .expect("a relative Graph path joins");
            {
                let mut q = next.query_pairs_mut();
                for (k, v) in &req.params {
                    if k != "after" && k != "before" {
                        q.append_pair(k, v);
                    }
                }
                if !req.params.contains_key("access_token") {
                    q.append_pair("access_token", &caller.token);
                }
                q.append_pair("limit", &limit.to_string());
                q.append_pair("after", &after_cursor);
            }
            // `limit` may now appear twice when it was in the request.
            let dedup: Vec<(String, String)> = {
                let mut seen = std::collections::BTreeMap::new();
                for (k, v) in next.query_pairs() {
                    seen.insert(k.into_owned(), v.into_owned());
                }
                seen.into_iter().collect()
            };
            next.query_pairs_mut().clear().extend_pairs(dedup);
            paging["next"] = json!(next.as_str());
        }
        out["paging"] = paging;
    }
    Ok(Json(out))
}

/// The Page token for (user token, Page): stable across calls; no expiry
/// when derived from a long-lived user token.
fn page_token(world: &mut World, caller: &Caller, page_id: &str) -> String {
    let key = (caller.token.clone(), page_id.to_owned());
    if let Some(t) = world.page_tokens.get(&key) {
        return t.clone();
    }
    let user_token = world.tokens[&caller.token].clone();
    let token = world.issue_token(Token {
        user_id: caller.user_id.clone(),
        page_id: Some(page_id.to_owned()),
        issued_at_ms: world.now_ms(),
        expires_at_ms: if user_token.long_lived {
            None
        } else {
            user_token.expires_at_ms
        },
        long_lived: user_token.long_lived,
        invalidated: None,
    });
    world.page_tokens.insert(key, token.clone());
    token
}

fn user_caller(world: &World, req: &GraphRequest, id: &str) -> Result<Caller, FbError> {
    let caller = authenticate(world, req)?;
    if caller.page_id.is_some() || resolve_me(&caller, id) != caller.user_id {
        return Err(FbError::unknown_object(id));
    }
    Ok(caller)
}

/// `GET /{ver}/me/permissions`.
pub async fn permissions(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "permissions", None).await?;
    let world = state.lock();
    let caller = user_caller(&world, &req, &id)?;
    let data: Vec<Value> = world.users[&caller.user_id]
        .permissions
        .iter()
        .map(|(p, granted)| {
            json!({"permission": p, "status": if *granted { "granted" } else { "declined" }})
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `DELETE /{ver}/me/permissions`: the user removes the app entirely.
pub async fn delete_permissions(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "permissions", None).await?;
    let mut world = state.lock();
    let caller = user_caller(&world, &req, &id)?;
    let user = world.users.get_mut(&caller.user_id).expect("caller exists");
    user.app_removed = true;
    user.permissions.clear();
    user.granted_pages.clear();
    Ok(Json(json!({"success": true})))
}

/// `DELETE /{ver}/me/permissions/{perm}`: revokes one permission.
pub async fn delete_permission(
    State(state): State<AppState>,
    Path((ver, id, perm)): Path<(String, String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "permissions", None).await?;
    let mut world = state.lock();
    let caller = user_caller(&world, &req, &id)?;
    let user = world.users.get_mut(&caller.user_id).expect("caller exists");
    if let Some(granted) = user.permissions.get_mut(&perm) {
        *granted = false;
    }
    Ok(Json(json!({"success": true})))
}

/// `GET /{ver}/debug_token?input_token=…` with the app token.
pub async fn debug_token(
    State(state): State<AppState>,
    Path(ver): Path<String>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "debug_token", None).await?;
    let world = state.lock();
    authenticate_app(&world, &req)?;
    let input = req
        .param_str("input_token")
        .ok_or_else(|| FbError::param("The parameter input_token is required"))?;
    let Some(token) = world.tokens.get(&input) else {
        return Ok(Json(json!({"data": {
            "error": {"code": 190, "message": "Invalid OAuth access token."},
            "is_valid": false,
            "scopes": [],
        }})));
    };
    let user = world.users.get(&token.user_id);
    let granted: Vec<String> = user
        .map(|u| {
            u.permissions
                .iter()
                .filter(|(_, g)| **g)
                .map(|(p, _)| p.clone())
                .collect()
        })
        .unwrap_or_default();
    let pages: Vec<String> = user
        .map(|u| u.granted_pages.iter().cloned().collect())
        .unwrap_or_default();
    let granular: Vec<Value> = granted
        .iter()
        .filter(|p| p.starts_with("pages_"))
        .map(|p| json!({"scope": p, "target_ids": pages}))
        .collect();
    let mut data = json!({
        "app_id": world.app_id,
        "type": if token.page_id.is_some() { "PAGE" } else { "USER" },
        "application": world.app_name,
        "data_access_expires_at": (token.issued_at_ms / 1000) + 90 * 86_400,
        "expires_at": token.expires_at_ms.map(|e| e / 1000).unwrap_or(0),
        "issued_at": token.issued_at_ms / 1000,
        "scopes": granted,
        "granular_scopes": granular,
        "user_id": token.user_id,
    });
    if let Some(page_id) = &token.page_id {
        data["profile_id"] = json!(page_id);
    }
    match world.check_token(&input) {
        Ok(_) => data["is_valid"] = json!(true),
        Err(e) => {
            data["is_valid"] = json!(false);
            let mut err = json!({"code": e.code, "message": e.message});
            if let Some(sub) = e.subcode {
                err["subcode"] = json!(sub);
            }
            data["error"] = err;
        }
    }
    Ok(Json(json!({ "data": data })))
}
