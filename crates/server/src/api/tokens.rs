//! API tokens for integrations (admins only). A token acts as one staff
//! member, with that member's role; its secret is shown once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::views::{ApiTokenView, ListOf};
use crate::auth::access::AccessEnded;
use crate::auth::{Admin, API_TOKEN_PREFIX};
use crate::crypto::{random_token, token_hash};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What the token is for, 1–60 characters.
    pub name: String,
    /// The staff member the token acts as; defaults to the caller.
    pub staff_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: ApiTokenView,
    /// The bearer token. It is shown only now; omnidesk keeps only its hash.
    pub secret: String,
}

/// List API tokens, revoked ones included.
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "api-tokens",
    responses((status = 200, body = ListOf<ApiTokenView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> ApiResult<Json<ListOf<ApiTokenView>>> {
    Ok(Json(ListOf::new(
        state.store.list_api_tokens(caller.account_id()).await?,
    )))
}

/// Create an API token.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "api-tokens", request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = domain::staff::parse_name("name", &req.name, 60)?;
    let staff_id = match req.staff_id {
        Some(id) => {
            state
                .store
                .get_staff(caller.account_id(), &id)
                .await
                .map_err(|_| {
                    crate::error::ApiError::validation("staff_id", "no such staff member")
                })?
                .id
        }
        None => caller.staff_id().to_owned(),
    };
    let secret = random_token(API_TOKEN_PREFIX);
    let token = state
        .store
        .create_api_token(
            caller.account_id(),
            store::NewApiToken {
                staff_id,
                name,
                token_hash: token_hash(&secret),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: token.into(),
            secret,
        }),
    ))
}

/// Revoke an API token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "api-tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .revoke_api_token(caller.account_id(), &id)
        .await?;
    state.access.end(AccessEnded::ApiToken { id });
    Ok(StatusCode::NO_CONTENT)
}
