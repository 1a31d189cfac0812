//! Staff management (admins only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::staff::{self as rules, Role, DEFAULT_CAPACITY};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::views::{ListOf, StaffView};
use crate::auth::access::AccessEnded;
use crate::auth::{password, Admin, Credential};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaffRequest {
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    #[schema(value_type = crate::api::schema::Role)]
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    /// Defaults to "first last".
    pub display_name: Option<String>,
    /// Enquiries served at once, 1–100 (default 5).
    pub capacity: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaffRequest {
    pub email: Option<String>,
    pub password: Option<String>,
    #[schema(value_type = Option<crate::api::schema::Role>)]
    pub role: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub capacity: Option<u32>,
}

fn parse_role(value: &str) -> Result<Role, ApiError> {
    value
        .parse::<Role>()
        .map_err(|e| ApiError::validation("role", e.rule))
}

/// Checks a create request and hashes its password: invalid input never
/// reaches the store.
pub async fn new_staff(req: CreateStaffRequest) -> Result<store::NewStaff, ApiError> {
    let email = rules::parse_email(&req.email)?;
    rules::check_password(&req.password)?;
    let role = parse_role(&req.role)?;
    let first_name = rules::parse_name("first_name", &req.first_name, 60)?;
    let last_name = rules::parse_name("last_name", &req.last_name, 60)?;
    let display_name = match req.display_name {
        Some(name) => rules::parse_name("display_name", &name, 60)?,
        None => format!("{first_name} {last_name}"),
    };
    let capacity = rules::check_capacity(req.capacity.unwrap_or(DEFAULT_CAPACITY))?;
    let password_hash = password::hash_password(req.password).await?;
    Ok(store::NewStaff {
        email,
        password_hash,
        role,
        first_name,
        last_name,
        display_name,
        capacity: i64::from(capacity),
    })
}

/// List the account's staff members.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff",
    responses((status = 200, body = ListOf<StaffView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> ApiResult<Json<ListOf<StaffView>>> {
    let staff = state.store.list_staff(caller.account_id()).await?;
    Ok(Json(ListOf::new(staff)))
}

/// Add a staff member.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = CreateStaffRequest,
    responses((status = 201, body = StaffView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(req): ApiJson<CreateStaffRequest>,
) -> ApiResult<(StatusCode, Json<StaffView>)> {
    let new = new_staff(req).await?;
    let staff = state.store.create_staff(caller.account_id(), new).await?;
    Ok((StatusCode::CREATED, Json(staff.into())))
}

/// Read one staff member.
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff",
    params(("id" = String, Path, description = "Staff id")),
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StaffView>> {
    Ok(Json(
        state
            .store
            .get_staff(caller.account_id(), &id)
            .await?
            .into(),
    ))
}

/// Change a staff member; absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff", request_body = UpdateStaffRequest,
    params(("id" = String, Path, description = "Staff id")),
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateStaffRequest>,
) -> ApiResult<Json<StaffView>> {
    let account_id = caller.account_id();
    let current = state.store.get_staff(account_id, &id).await?;
    let role = req.role.as_deref().map(parse_role).transpose()?;
    let update = store::StaffUpdate {
        email: req.email.as_deref().map(rules::parse_email).transpose()?,
        role,
        first_name: req
            .first_name
            .map(|n| rules::parse_name("first_name", &n, 60))
            .transpose()?,
        last_name: req
            .last_name
            .map(|n| rules::parse_name("last_name", &n, 60))
            .transpose()?,
        display_name: req
            .display_name
            .map(|n| rules::parse_name("display_name", &n, 60))
            .transpose()?,
        capacity: req
            .capacity
            .map(rules::check_capacity)
            .transpose()?
            .map(i64::from),
    };
    if let Some(password) = &req.password {
        rules::check_password(password)?;
    }
    if current.role == Role::Admin && role == Some(Role::Agent) {
        keep_one_admin(&state, account_id).await?;
    }
    let staff = state.store.update_staff(account_id, &id, update).await?;
    let demoted_or_promoted = role.is_some_and(|role| role != current.role);
    let password_reset = req.password.is_some();
    if let Some(password) = req.password {
        let hash = password::hash_password(password).await?;
        state
            .store
            .set_staff_password(account_id, &id, &hash)
            .await?;
        // A reset password logs the person out everywhere (but the admin
        // resetting their own keeps this session).
        let keep = match &caller.credential {
            Credential::Session { token_hash, .. } if caller.staff_id() == id => {
                Some(token_hash.as_str())
            }
            _ => None,
        };
        state
            .store
            .delete_staff_sessions(account_id, &id, keep)
            .await?;
    }
    if demoted_or_promoted || password_reset {
        // Their open sockets were opened with the old role or password.
        let except_session = match &caller.credential {
            Credential::Session { token_hash, .. }
                if caller.staff_id() == id && !demoted_or_promoted =>
            {
                Some(token_hash.clone())
            }
            _ => None,
        };
        state.access.end(AccessEnded::Staff {
            account_id: account_id.to_owned(),
            staff_id: id.clone(),
            except_session,
        });
    }
    Ok(Json(staff.into()))
}

/// Remove a staff member (their sessions and tokens end with them).
#[utoipa::path(delete, path = "/api/v1/staff/{id}", tag = "staff",
    params(("id" = String, Path, description = "Staff id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let account_id = caller.account_id();
    let current = state.store.get_staff(account_id, &id).await?;
    if current.role == Role::Admin {
        keep_one_admin(&state, account_id).await?;
    }
    state.store.delete_staff(account_id, &id).await?;
    state.access.end(AccessEnded::Staff {
        account_id: account_id.to_owned(),
        staff_id: id,
        except_session: None,
    });
    Ok(StatusCode::NO_CONTENT)
}

async fn keep_one_admin(state: &AppState, account_id: &str) -> Result<(), ApiError> {
    if state.store.count_admins(account_id).await? <= 1 {
        return Err(ApiError::Conflict(
            "an account must keep at least one admin".into(),
        ));
    }
    Ok(())
}
