//! The Facebook side of the demo: the emulator's world (the Page admin, the
//! two Pages, the visitors) and connecting the Pages as channels through
//! the product's real Facebook Login flow (`server::channels::connect`).
//!
//! The emulator keeps its world in memory only, so this runs on every
//! start: the same Page ids and PSIDs are created again and the Pages are
//! connected again. On a later start `connect_pages` finds the account's
//! existing channels and *reconnects* them (fresh Page tokens, settings
//! kept) instead of creating new ones — exactly what an admin logging in
//! with Facebook again would do.

use anyhow::{bail, Context};
use domain::routing::settings::DestinationInput;
use domain::routing::RoutingSettingsInput;
use emulator::control::types::{AutoConsent, NewPage, NewVisitor};
use emulator::ControlClient;
use server::channels::connect::{self, CallbackOutcome, ConnectRequest, Connected};
use server::crypto::{random_token, token_hash};
use server::state::AppState;

use super::cast::{PAGES, PAGE_ADMIN_NAME, PAGE_TASKS, VISITORS};

/// Creates the Page admin, the Pages (with their role) and the visitors in
/// a freshly started emulator; returns the Page admin's user id.
pub async fn build_world(fb: &ControlClient) -> anyhow::Result<String> {
    let user = fb
        .create_user(PAGE_ADMIN_NAME)
        .await
        .context("creating the Facebook user in the emulator")?;
    for page in PAGES {
        fb.create_page(&NewPage {
            id: Some(page.id.into()),
            name: page.name.into(),
            picture: None,
        })
        .await
        .with_context(|| format!("creating the Page {} in the emulator", page.name))?;
        fb.set_role(page.id, &user.id, &PAGE_TASKS)
            .await
            .with_context(|| format!("giving {PAGE_ADMIN_NAME} a role on {}", page.name))?;
    }
    for visitor in VISITORS {
        fb.create_visitor(
            PAGES[visitor.page].id,
            &NewVisitor {
                psid: Some(visitor.psid.into()),
                first_name: visitor.first_name.into(),
                last_name: visitor.last_name.into(),
                profile_pic: None,
            },
        )
        .await
        .with_context(|| format!("creating the visitor {}", visitor.first_name))?;
    }
    Ok(user.id)
}

/// Alternative routing over the given destinations, in order.
pub fn alternative_routing(destination_ids: &[String]) -> RoutingSettingsInput {
    RoutingSettingsInput {
        rule: "alternative".into(),
        sticky: false,
        time_zone: "UTC".into(),
        destinations: destination_ids
            .iter()
            .map(|id| DestinationInput {
                id: id.clone(),
                percentage: None,
                schedule: None,
            })
            .collect(),
    }
}

/// Logs in with Facebook as `user_id` on behalf of the admin `staff_id` and
/// connects both demo Pages. `routing` applies to channels created now;
/// reconnected channels keep theirs.
pub async fn connect_pages(
    state: &AppState,
    fb: &ControlClient,
    account_id: &str,
    staff_id: &str,
    user_id: &str,
    routing: Option<RoutingSettingsInput>,
) -> anyhow::Result<Vec<Connected>> {
    // The login is bound to a browser session; the demo's own stands in.
    let session_hash = token_hash(&random_token("demo_session_"));
    let (_, dialog_url) = connect::start_login(state, account_id, staff_id, &session_hash)
        .await
        .map_err(api_error)
        .context("starting the Facebook login")?;
    let page_ids: Vec<String> = PAGES.iter().map(|p| p.id.to_owned()).collect();
    fb.set_auto_consent(&AutoConsent {
        user_id: Some(user_id.to_owned()),
        pages: Some(page_ids.clone()),
        declined: Vec::new(),
    })
    .await
    .context("preparing the emulator's login dialog")?;
    let answer = follow_dialog(&dialog_url).await;
    // Leave the dialog showing its form to whoever opens it next.
    fb.clear_auto_consent()
        .await
        .context("resetting the emulator's login dialog")?;
    let (oauth_state, outcome) = answer?;
    let login = connect::finish_login(state, &oauth_state, Some(&session_hash), outcome)
        .await
        .map_err(api_error)
        .context("completing the Facebook login")?;
    connect::connect_pages(
        state,
        account_id,
        &login.id,
        ConnectRequest {
            page_ids,
            name: None,
            routing,
            messages: None,
        },
    )
    .await
    .map_err(api_error)
    .context("connecting the demo Pages")
}

/// Opens the login dialog as a browser would and reads Facebook's redirect
/// back to the callback: the OAuth state and the code (or the refusal).
async fn follow_dialog(dialog_url: &str) -> anyhow::Result<(String, CallbackOutcome)> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = http
        .get(dialog_url)
        .send()
        .await
        .context("opening the emulator's login dialog")?;
    if !response.status().is_redirection() {
        bail!(
            "the emulator's login dialog answered {} instead of redirecting back",
            response.status()
        );
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .context("the login dialog's redirect has no location")?;
    callback_outcome(location)
}

/// The state and outcome carried by the callback URL Facebook redirects to.
fn callback_outcome(location: &str) -> anyhow::Result<(String, CallbackOutcome)> {
    let url = url::Url::parse(location).context("the login dialog redirected to no URL")?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let oauth_state = param("state").context("the login dialog's redirect has no state")?;
    let outcome = match (param("code"), param("error_reason")) {
        (Some(code), _) => CallbackOutcome::Code(code),
        (None, reason) => CallbackOutcome::Denied(reason.unwrap_or_else(|| "no code".into())),
    };
    Ok((oauth_state, outcome))
}

fn api_error(e: server::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_with_a_code_completes_the_login() {
        let (state, outcome) =
            callback_outcome("http://127.0.0.1:8080/cb?code=abc&state=fbs_1").unwrap();
        assert_eq!(state, "fbs_1");
        assert!(matches!(outcome, CallbackOutcome::Code(code) if code == "abc"));
    }

    #[test]
    fn a_refused_login_carries_facebooks_reason() {
        let (_, outcome) = callback_outcome(
            "http://127.0.0.1:8080/cb?error=access_denied&error_reason=user_denied&state=s",
        )
        .unwrap();
        assert!(matches!(outcome, CallbackOutcome::Denied(why) if why == "user_denied"));
    }

    #[test]
    fn routing_lists_the_destinations_in_the_order_given() {
        let routing = alternative_routing(&["sales".into(), "support".into()]);
        assert_eq!(routing.rule, "alternative");
        let ids: Vec<_> = routing.destinations.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["sales", "support"]);
    }
}
