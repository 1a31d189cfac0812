//! Losing access and Page subscriptions, through the real `GraphClient`.

mod common;

use common::*;
use emulator::control::types::DeliveryKind;
use messenger::graph::{SendRequest, MESSENGER_FIELDS};
use messenger::ErrorClass;

#[tokio::test]
async fn subscribed_apps_lists_the_app_with_its_fields_and_unsubscribing_empties_it() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let apps = emu
        .graph
        .subscribed_apps(&c.page_id, &c.page_token)
        .await
        .unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].id, APP_ID);
    assert_eq!(apps[0].subscribed_fields, MESSENGER_FIELDS.to_vec());
    let subs = emu.control.subscriptions().await.unwrap();
    assert!(subs.pages.contains_key(&c.page_id));
    emu.graph
        .unsubscribe_app(&c.page_id, &c.page_token)
        .await
        .unwrap();
    assert!(emu
        .graph
        .subscribed_apps(&c.page_id, &c.page_token)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn subscribing_needs_the_moderate_task_and_known_fields() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let err = emu
        .graph
        .subscribe_app(&c.page_id, &c.page_token, &["messages", "no_such_field"])
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (100, None));
    emu.control
        .set_role(&c.page_id, &c.user_id, &["MESSAGING", "ANALYZE"])
        .await
        .unwrap();
    let err = emu
        .graph
        .subscribe_app(&c.page_id, &c.page_token, &["messages"])
        .await
        .unwrap_err();
    assert_eq!(codes(&err).0, 200);
    assert_eq!(err.class(), ErrorClass::PermissionMissing);
}

#[tokio::test]
async fn a_password_change_invalidates_every_token_with_subcode_460_and_www_authenticate() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control.change_password(&c.user_id).await.unwrap();
    let err = emu
        .page_sends(&c, &SendRequest::text(&c.psid, "hi"))
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (190, Some(460)));
    assert_eq!(err.class(), ErrorClass::TokenLost);
    let err = emu.graph.me(&c.user_token).await.unwrap_err();
    assert_eq!(codes(&err), (190, Some(460)));
    let resp = emu
        .http
        .get(emu.url("v25.0/me"))
        .query(&[("access_token", c.user_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let header = resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        header.starts_with("OAuth \"Facebook Platform\" \"invalid_token\""),
        "{header}"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "OAuthException");
}

#[tokio::test]
async fn a_revoked_token_fails_with_subcode_467_while_others_keep_working() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control.revoke_token(&c.user_token).await.unwrap();
    let err = emu.graph.me(&c.user_token).await.unwrap_err();
    assert_eq!(codes(&err), (190, Some(467)));
    emu.graph
        .subscribed_apps(&c.page_id, &c.page_token)
        .await
        .expect("the Page token was not revoked");
}

#[tokio::test]
async fn losing_the_page_role_invalidates_the_page_token_with_subcode_492() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control
        .remove_role(&c.page_id, &c.user_id)
        .await
        .unwrap();
    let err = emu
        .graph
        .subscribed_apps(&c.page_id, &c.page_token)
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (190, Some(492)));
    assert_eq!(err.class(), ErrorClass::TokenLost);
    emu.graph
        .me(&c.user_token)
        .await
        .expect("the user token is still valid");
    assert!(emu
        .graph
        .page_accounts(&c.user_token)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn removing_the_app_fails_tokens_with_458_and_posts_a_signed_deauthorize_request() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control.remove_app(&c.user_id).await.unwrap();
    let err = emu.graph.me(&c.user_token).await.unwrap_err();
    assert_eq!(codes(&err), (190, Some(458)));
    let calls = eventually("the deauthorize callback", || {
        let r = emu.receiver.received("/deauthorize");
        (!r.is_empty()).then_some(r)
    })
    .await;
    assert_eq!(
        calls[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&calls[0].body).unwrap();
    let signed = &form.iter().find(|(k, _)| k == "signed_request").unwrap().1;
    let parsed = messenger::signed_request::parse(signed, APP_SECRET.as_bytes()).unwrap();
    assert_eq!(parsed.user_id, c.user_id);
    assert_eq!(parsed.algorithm, "HMAC-SHA256");
    let log = emu.control.deliveries().await.unwrap();
    assert!(log
        .iter()
        .any(|d| d.kind == DeliveryKind::Deauthorize && d.status == Some(200)));
}

#[tokio::test]
async fn logging_in_again_after_removing_the_app_restores_access() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control.remove_app(&c.user_id).await.unwrap();
    let pages = emu.pages_at_new_login().await;
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn unticking_a_page_at_a_later_login_takes_the_apps_access_to_it_away() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control
        .set_auto_consent(&emulator::control::types::AutoConsent {
            user_id: Some(c.user_id.clone()),
            pages: Some(Vec::new()),
            declined: Vec::new(),
        })
        .await
        .unwrap();
    let code = emu.login_code().await;
    let token = emu.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
    assert!(emu
        .graph
        .page_accounts(token.access_token.expose())
        .await
        .unwrap()
        .is_empty());
    let err = emu
        .page_sends(&c, &SendRequest::text(&c.psid, "hi"))
        .await
        .unwrap_err();
    assert_eq!(codes(&err).0, 200);
    assert_eq!(err.class(), ErrorClass::PermissionMissing);
}
