//! Facebook Login and connecting Pages as channels.
//!
//! 1. [`start_login`]: a random `state` (stored hashed, bound to the admin's
//!    session, valid [`LOGIN_TTL_MINUTES`]) and the dialog URL.
//! 2. [`finish_login`]: the callback takes the state once, exchanges the code
//!    for a long-lived user token, and stores `/me`, `/me/permissions` and
//!    every Page of `/me/accounts` (tokens encrypted) on the login.
//! 3. [`connect_pages`]: checks the permissions (granular ones through
//!    `debug_token`), refuses Pages another account holds, subscribes the app
//!    to each Page's webhook fields, and creates one channel per Page — or
//!    reconnects the account's existing channel of that Page.
//!
//! No database transaction is held across a Graph call.

use domain::channel::{ChannelName, ChannelStatus};
use domain::messages::{DisplayNameFormat, MessageSettings, MessageSettingsInput};
use domain::routing::{
    DestinationId, RoutingRule, RoutingSettings, RoutingSettingsInput, TimeZoneName,
};
use messenger::graph::{GraphError, MESSENGER_FIELDS, MESSENGER_SCOPES};
use store::{
    Channel, FacebookLogin, LoginAuthorized, LoginPage, LoginPermission, NewChannel,
    NewFacebookLogin, Reconnect, StateRefusal, StoreError, FACEBOOK_MESSENGER,
};

use crate::api::channels::ChannelView;
use crate::channels::{announce_reconnected, permissions};
use crate::crypto::{random_token, token_hash};
use crate::error::ApiError;
use crate::events::{Audience, LiveEvent};
use crate::state::AppState;

/// How long a started login waits for its callback.
pub const LOGIN_TTL_MINUTES: i64 = 15;
/// How long after the callback the selected Pages may still be connected.
pub const CONNECT_TTL_MINUTES: i64 = 60;
/// Where Facebook sends the admin's browser back to.
pub const CALLBACK_PATH: &str = "/api/v1/channels/facebook/callback";

/// The redirect URI given to the dialog and, identically, to the code exchange.
pub fn redirect_uri(state: &AppState) -> String {
    state
        .config
        .public_url
        .join(CALLBACK_PATH)
        .expect("the callback path joins the public URL")
        .to_string()
}

/// Starts a login for `staff_id` in the session `session_hash`; returns the
/// login and the dialog URL (which carries the only copy of the state).
pub async fn start_login(
    state: &AppState,
    account_id: &str,
    staff_id: &str,
    session_hash: &str,
) -> Result<(FacebookLogin, String), ApiError> {
    let oauth_state = random_token("fbs_");
    let expires_at = state
        .now()
        .checked_add(jiff::SignedDuration::from_mins(LOGIN_TTL_MINUTES))
        .map_err(|e| ApiError::Internal(e.into()))?;
    let login = state
        .store
        .create_facebook_login(
            account_id,
            NewFacebookLogin {
                staff_id: staff_id.to_owned(),
                session_hash: session_hash.to_owned(),
                state_hash: token_hash(&oauth_state),
                expires_at,
            },
        )
        .await?;
    // `auth_type=rerequest` so a permission declined last time is asked again.
    let url =
        state
            .graph
            .oauth_rerequest_url(&redirect_uri(state), &oauth_state, &MESSENGER_SCOPES);
    Ok((login, url.to_string()))
}

/// Why a callback was refused, as said to the admin.
pub fn refusal_message(refusal: StateRefusal) -> &'static str {
    match refusal {
        StateRefusal::Unknown => {
            "This Facebook login is unknown (the state does not match any login started here). \
             Start again from Channels."
        }
        StateRefusal::Used => {
            "This Facebook login was already completed; a login link works once. Start again \
             from Channels."
        }
        StateRefusal::Expired => "This Facebook login expired. Start again from Channels.",
        StateRefusal::OtherSession => {
            "This Facebook login was started in another browser session. Start again from \
             Channels in this window."
        }
    }
}

/// What the callback got from Facebook's redirect.
pub enum CallbackOutcome {
    Code(String),
    /// The admin cancelled or declined (`error_reason`, `error_description`).
    Denied(String),
}

/// Completes the login of a callback: the state is taken once, then Facebook
/// is asked for the user, their permissions and their Pages.
pub async fn finish_login(
    state: &AppState,
    oauth_state: &str,
    session_hash: Option<&str>,
    outcome: CallbackOutcome,
) -> Result<FacebookLogin, ApiError> {
    let login = state
        .store
        .take_facebook_login_state(&token_hash(oauth_state), session_hash, state.now())
        .await?
        .map_err(|refusal| ApiError::BadRequest(refusal_message(refusal).into()))?;
    let code = match outcome {
        CallbackOutcome::Code(code) => code,
        CallbackOutcome::Denied(why) => {
            let message = format!("The Facebook login was cancelled ({why}).");
            state
                .store
                .finish_facebook_login(&login.account_id, &login.id, "failed", Some(&message))
                .await?;
            return Err(ApiError::BadRequest(message));
        }
    };
    match ask_facebook(state, &code).await {
        Ok(authorized) => Ok(state
            .store
            .set_facebook_login_authorized(&login.account_id, &login.id, authorized)
            .await?),
        Err(e) => {
            let message = format!("Facebook did not complete the login: {e}");
            tracing::warn!(login_id = %login.id, error = %e, "Facebook login failed");
            state
                .store
                .finish_facebook_login(&login.account_id, &login.id, "failed", Some(&message))
                .await?;
            Err(ApiError::BadGateway(message))
        }
    }
}

async fn ask_facebook(state: &AppState, code: &str) -> Result<LoginAuthorized, GraphError> {
    let graph = &state.graph;
    let short = graph.exchange_code(code, &redirect_uri(state)).await?;
    let long = graph
        .exchange_long_lived(short.access_token.expose())
        .await?;
    let token = long.access_token.expose();
    let user = graph.me(token).await?;
    let permissions = graph.permissions(token).await?;
    let pages = graph.page_accounts(token).await?;
    Ok(LoginAuthorized {
        facebook_user_id: user.id,
        user_token_enc: state.secrets.encrypt(token),
        pages: pages
            .into_iter()
            .map(|p| LoginPage {
                access_token_enc: p
                    .access_token
                    .as_ref()
                    .map(|t| state.secrets.encrypt(t.expose())),
                id: p.id,
                name: p.name,
                picture_url: p.picture,
                tasks: p.tasks,
            })
            .collect(),
        permissions: permissions
            .into_iter()
            .map(|p| LoginPermission {
                permission: p.permission,
                status: p.status,
            })
            .collect(),
    })
}

/// Whether the login's user can message as the Page (token, MESSAGING and
/// MODERATE tasks).
pub fn can_message(page: &LoginPage) -> bool {
    let has = |task: &str| page.tasks.iter().any(|t| t.eq_ignore_ascii_case(task));
    page.access_token_enc.is_some() && has("MESSAGING") && has("MODERATE")
}

/// What an admin asks to connect.
pub struct ConnectRequest {
    pub page_ids: Vec<String>,
    pub name: Option<String>,
    pub routing: Option<RoutingSettingsInput>,
    pub messages: Option<MessageSettingsInput>,
}

/// One connected Page.
pub struct Connected {
    pub page_id: String,
    pub reconnected: bool,
    pub channel: Channel,
}

/// The login's Pages named in `page_ids`, or 422 naming the first unknown one.
fn selected_pages<'a>(
    login: &'a FacebookLogin,
    page_ids: &[String],
) -> Result<Vec<&'a LoginPage>, ApiError> {
    if page_ids.is_empty() {
        return Err(ApiError::validation("page_ids", "select at least one Page"));
    }
    let pages = login.pages.as_deref().unwrap_or_default();
    let mut selected: Vec<&LoginPage> = Vec::new();
    for (i, id) in page_ids.iter().enumerate() {
        let page = pages.iter().find(|p| &p.id == id).ok_or_else(|| {
            ApiError::validation(
                format!("page_ids[{i}]"),
                "is not a Page this Facebook login manages",
            )
        })?;
        if selected.iter().any(|p| p.id == page.id) {
            return Err(ApiError::validation(
                format!("page_ids[{i}]"),
                "is listed twice",
            ));
        }
        selected.push(page);
    }
    Ok(selected)
}

/// 422 naming the first required permission not granted, and its toggle.
fn check_permissions(login: &FacebookLogin) -> Result<(), ApiError> {
    let granted = login.permissions.as_deref().unwrap_or_default();
    let missing = permissions::missing(|p| {
        granted
            .iter()
            .find(|g| g.permission == p)
            .map(|g| g.status.as_str())
    });
    match missing.first() {
        Some((permission, status)) => Err(ApiError::validation(
            "permissions",
            permissions::declined_message(permission, status),
        )),
        None => Ok(()),
    }
}

/// Routing for a channel created without any: the account's destinations
/// (up to five, by name) in an alternative rule. An account with no
/// destination yet gets an empty alternative rule: enquiries are stored and
/// missed (with the away message) until an admin saves routing settings.
async fn default_routing(state: &AppState, account_id: &str) -> Result<RoutingSettings, ApiError> {
    let destinations = state.store.list_destinations(account_id).await?;
    Ok(RoutingSettings {
        rule: RoutingRule::Alternative {
            destinations: destinations
                .into_iter()
                .take(domain::routing::settings::MAX_DESTINATIONS)
                .map(|d| DestinationId::from(d.id.as_str()))
                .collect(),
        },
        sticky: false,
        time_zone: TimeZoneName::default(),
    })
}

/// The account's destination ids, for validating routing settings.
pub async fn destination_ids(
    state: &AppState,
    account_id: &str,
) -> Result<Vec<DestinationId>, ApiError> {
    Ok(state
        .store
        .list_destinations(account_id)
        .await?
        .into_iter()
        .map(|d| DestinationId::from(d.id.as_str()))
        .collect())
}

/// New channels' message settings: the request's, else the defaults with
/// replies sent as typed (display name format `none`).
pub fn message_settings(input: Option<&MessageSettingsInput>) -> Result<MessageSettings, ApiError> {
    let mut input = input.cloned().unwrap_or_default();
    if input.display_name_format.is_none() {
        input.display_name_format = Some(DisplayNameFormat::None.as_str().to_owned());
    }
    Ok(MessageSettings::parse(&input)?)
}

/// The default channel name: the Page name cut to 40 characters.
pub fn default_name(page_name: &str) -> ChannelName {
    let cut: String = page_name.chars().take(ChannelName::MAX_CHARS).collect();
    ChannelName::parse(&cut).unwrap_or_else(|_| {
        ChannelName::parse("Facebook Page").expect("a literal channel name is valid")
    })
}

/// Connects the selected Pages of a login (see the module doc).
pub async fn connect_pages(
    state: &AppState,
    account_id: &str,
    login_id: &str,
    request: ConnectRequest,
) -> Result<Vec<Connected>, ApiError> {
    let login = state.store.get_facebook_login(account_id, login_id).await?;
    match login.status.as_str() {
        "authorized" if login.pages.is_some() => {}
        "used" => {
            return Err(ApiError::Conflict(
                "this Facebook login was already used to connect Pages; log in again".into(),
            ))
        }
        "failed" => {
            return Err(ApiError::BadRequest(login.error.clone().unwrap_or_else(
                || "this Facebook login failed; log in again".into(),
            )))
        }
        _ => {
            return Err(ApiError::BadRequest(
                "this Facebook login is not complete yet; finish it in the Facebook window".into(),
            ))
        }
    }
    let deadline = login
        .created_at
        .checked_add(jiff::SignedDuration::from_mins(CONNECT_TTL_MINUTES))
        .map_err(|e| ApiError::Internal(e.into()))?;
    if state.now() > deadline {
        return Err(ApiError::BadRequest(
            "this Facebook login expired; log in again".into(),
        ));
    }
    let pages = selected_pages(&login, &request.page_ids)?;
    if request.name.is_some() && pages.len() > 1 {
        return Err(ApiError::validation(
            "name",
            "can be given only when connecting one Page (each Page becomes its own channel)",
        ));
    }
    let name = request
        .name
        .as_deref()
        .map(ChannelName::parse)
        .transpose()?;
    check_permissions(&login)?;
    for (i, page) in pages.iter().enumerate() {
        if !can_message(page) {
            return Err(ApiError::validation(
                format!("page_ids[{i}]"),
                format!(
                    "you need the Messaging and Moderate tasks on the Page “{}” to connect it",
                    page.name
                ),
            ));
        }
    }
    let routing = match &request.routing {
        Some(input) => RoutingSettings::parse(input, &destination_ids(state, account_id).await?)?,
        None => default_routing(state, account_id).await?,
    };
    let messages = message_settings(request.messages.as_ref())?;
    let user_token = decrypt(state, login.user_token_enc.as_deref())?;
    check_granular_consent(state, &user_token, &pages).await?;

    // Refuse Pages of other accounts before touching any Page.
    let mut existing = Vec::with_capacity(pages.len());
    for page in &pages {
        let held = state
            .store
            .find_channel_by_page(FACEBOOK_MESSENGER, &page.id)
            .await?;
        if let Some(channel) = &held {
            if channel.account_id != account_id {
                return Err(ApiError::Conflict(format!(
                    "The Facebook Page “{}” is connected to another omnidesk account. A Page \
                     belongs to one account at a time: delete the channel there first.",
                    page.name
                )));
            }
        }
        existing.push(held);
    }

    for page in &pages {
        let token = decrypt(state, page.access_token_enc.as_deref())?;
        state
            .graph
            .subscribe_app(&page.id, &token, &MESSENGER_FIELDS)
            .await
            .map_err(|e| {
                ApiError::BadGateway(format!(
                    "Facebook refused to subscribe the app to the Page “{}”: {e}",
                    page.name
                ))
            })?;
    }

    let mut connected = Vec::with_capacity(pages.len());
    for (page, held) in pages.into_iter().zip(existing) {
        let access_token_enc = page
            .access_token_enc
            .clone()
            .expect("checked by can_message");
        let result = match held {
            Some(channel) => {
                let channel = state
                    .store
                    .reconnect_channel(
                        account_id,
                        &channel.id,
                        Reconnect {
                            page_name: page.name.clone(),
                            picture_url: page.picture_url.clone(),
                            access_token_enc,
                            connected_by: login.facebook_user_id.clone(),
                        },
                    )
                    .await?;
                announce_reconnected(state, &channel).await;
                Connected {
                    page_id: page.id.clone(),
                    reconnected: true,
                    channel,
                }
            }
            None => {
                let channel = state
                    .store
                    .create_channel(
                        account_id,
                        NewChannel {
                            kind: FACEBOOK_MESSENGER.into(),
                            name: name.clone().unwrap_or_else(|| default_name(&page.name)),
                            status: ChannelStatus::Active,
                            status_reason: None,
                            page_id: page.id.clone(),
                            page_name: page.name.clone(),
                            picture_url: page.picture_url.clone(),
                            access_token_enc,
                            connected_by: login.facebook_user_id.clone(),
                            routing_settings: routing.clone(),
                            message_settings: messages.clone(),
                        },
                    )
                    .await
                    .map_err(|e| match e {
                        StoreError::Conflict { .. } => ApiError::Conflict(format!(
                            "The Facebook Page “{}” is connected to another omnidesk account.",
                            page.name
                        )),
                        other => other.into(),
                    })?;
                state
                    .publish(
                        account_id,
                        Audience::Account,
                        LiveEvent::ChannelCreated(ChannelView::from(channel.clone())),
                    )
                    .await;
                Connected {
                    page_id: page.id.clone(),
                    reconnected: false,
                    channel,
                }
            }
        };
        tracing::info!(channel_id = %result.channel.id, page_id = %result.page_id,
            reconnected = result.reconnected, "Facebook Page connected");
        connected.push(result);
    }
    state
        .store
        .finish_facebook_login(account_id, login_id, "used", None)
        .await?;
    Ok(connected)
}

fn decrypt(state: &AppState, stored: Option<&str>) -> Result<String, ApiError> {
    let stored = stored.ok_or_else(|| {
        ApiError::BadRequest("this Facebook login holds no token; log in again".into())
    })?;
    state
        .secrets
        .decrypt(stored)
        .map_err(|e| ApiError::Internal(e.context("opening a stored Facebook token")))
}

/// With granular consent a user may grant a permission for some Pages only:
/// `debug_token` lists the Pages each scope covers. When Facebook cannot be
/// asked, the permission list already checked stands.
async fn check_granular_consent(
    state: &AppState,
    user_token: &str,
    pages: &[&LoginPage],
) -> Result<(), ApiError> {
    let info = match state.graph.debug_token(user_token).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "debug_token failed; granular consent not checked");
            return Ok(());
        }
    };
    if !info.is_valid {
        return Err(ApiError::BadRequest(
            "Facebook says this login is no longer valid; log in again".into(),
        ));
    }
    for (i, page) in pages.iter().enumerate() {
        for (permission, toggle) in [permissions::REQUIRED[0], permissions::REQUIRED[3]] {
            if !info.grants_for(permission, &page.id) {
                return Err(ApiError::validation(
                    format!("page_ids[{i}]"),
                    format!(
                        "{permission} was not granted for the Page “{}”. Log in with Facebook \
                         again, select this Page and turn on “{toggle}”.",
                        page.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_page_name_is_cut_to_forty_characters_for_the_channel_name() {
        let name = default_name(&"Ä".repeat(50));
        assert_eq!(name.as_str().chars().count(), 40);
        assert_eq!(default_name("  ").as_str(), "Facebook Page");
    }

    #[test]
    fn new_channels_send_replies_as_typed_with_default_auto_messages() {
        let settings = message_settings(None).unwrap();
        assert_eq!(settings.display_name_format, DisplayNameFormat::None);
        assert_eq!(
            settings.welcome_message,
            MessageSettings::default().welcome_message
        );
        let explicit = message_settings(Some(&MessageSettingsInput {
            display_name_format: Some("first_name".into()),
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(explicit.display_name_format, DisplayNameFormat::FirstName);
    }

    #[test]
    fn a_page_without_the_messaging_tasks_cannot_be_connected() {
        let page = LoginPage {
            id: "1".into(),
            name: "P".into(),
            picture_url: None,
            tasks: vec!["MESSAGING".into(), "ANALYZE".into()],
            access_token_enc: Some("x".into()),
        };
        assert!(!can_message(&page));
        let page = LoginPage {
            tasks: vec!["messaging".into(), "MODERATE".into()],
            ..page
        };
        assert!(can_message(&page));
    }
}
