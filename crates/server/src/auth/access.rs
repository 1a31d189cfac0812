//! Ending access at once: when a session logs out, an API token is revoked,
//! or a staff member is removed, demoted or has their password changed, the
//! live sockets opened with that access close — not at their next request,
//! since a socket makes none.
//!
//! In one process the end is broadcast to the sockets directly; sockets also
//! re-check their credential every [`RECHECK`], which covers an end decided
//! on another node.

use std::time::Duration;

use tokio::sync::broadcast;

use crate::auth::{Caller, Credential};
use crate::state::AppState;

/// How often an open socket checks that its credential still holds.
pub const RECHECK: Duration = Duration::from_secs(30);

/// Whose access ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessEnded {
    /// One browser session (logout).
    Session { token_hash: String },
    /// One API token (revoked).
    ApiToken { id: String },
    /// Everything of one staff member (removed, demoted, password changed),
    /// except one session (the one that changed its own password).
    Staff {
        account_id: String,
        staff_id: String,
        except_session: Option<String>,
    },
}

impl AccessEnded {
    /// Whether this end covers `caller`'s credential.
    pub fn ends(&self, caller: &Caller) -> bool {
        match (self, &caller.credential) {
            (
                Self::Session { token_hash },
                Credential::Session {
                    token_hash: mine, ..
                },
            ) => token_hash == mine,
            (Self::ApiToken { id }, Credential::ApiToken { id: mine }) => id == mine,
            (
                Self::Staff {
                    account_id,
                    staff_id,
                    except_session,
                },
                credential,
            ) => {
                let kept = match credential {
                    Credential::Session { token_hash, .. } => {
                        except_session.as_deref() == Some(token_hash.as_str())
                    }
                    Credential::ApiToken { .. } => false,
                };
                account_id == caller.account_id() && staff_id == caller.staff_id() && !kept
            }
            _ => false,
        }
    }
}

/// The broadcast of ended access to this node's sockets.
#[derive(Clone)]
pub struct AccessBus {
    sender: broadcast::Sender<AccessEnded>,
}

impl Default for AccessBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(256);
        Self { sender }
    }
}

impl AccessBus {
    /// Tells every socket of this node; nobody listening is fine.
    pub fn end(&self, ended: AccessEnded) {
        let _ = self.sender.send(ended);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<AccessEnded> {
        self.sender.subscribe()
    }
}

/// Whether `caller`'s credential still holds (for the periodic re-check):
/// the session or token is live and the staff member exists with the same
/// role.
pub async fn still_holds(state: &AppState, caller: &Caller) -> bool {
    let credential_live = match &caller.credential {
        Credential::Session { token_hash, .. } => {
            matches!(
                state.store.find_session(token_hash, state.now()).await,
                Ok(Some(_))
            )
        }
        Credential::ApiToken { id } => match state.store.list_api_tokens(caller.account_id()).await
        {
            Ok(tokens) => tokens.iter().any(|t| &t.id == id && t.revoked_at.is_none()),
            Err(_) => true, // a database hiccup is not a revocation
        },
    };
    if !credential_live {
        return false;
    }
    match state
        .store
        .get_staff(caller.account_id(), caller.staff_id())
        .await
    {
        Ok(staff) => staff.role == caller.staff.role,
        Err(store::StoreError::NotFound) => false,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(credential: Credential) -> Caller {
        let now = jiff::Timestamp::UNIX_EPOCH;
        Caller {
            staff: store::Staff {
                id: "ann".into(),
                account_id: "acc".into(),
                email: "ann@acme.example".into(),
                role: domain::staff::Role::Agent,
                first_name: "Ann".into(),
                last_name: "Berg".into(),
                display_name: "Ann Berg".into(),
                availability: domain::staff::Availability::Available,
                availability_changed_at: now,
                capacity: 5,
                created_at: now,
                updated_at: now,
            },
            credential,
        }
    }

    #[test]
    fn an_end_covers_exactly_its_credential() {
        let session = caller(Credential::Session {
            token_hash: "h1".into(),
            csrf_token: "c".into(),
        });
        let token = caller(Credential::ApiToken { id: "t1".into() });
        let logout = AccessEnded::Session {
            token_hash: "h1".into(),
        };
        assert!(logout.ends(&session) && !logout.ends(&token));
        let revoked = AccessEnded::ApiToken { id: "t1".into() };
        assert!(revoked.ends(&token) && !revoked.ends(&session));
        let removed = AccessEnded::Staff {
            account_id: "acc".into(),
            staff_id: "ann".into(),
            except_session: None,
        };
        assert!(removed.ends(&session) && removed.ends(&token));
        let changed_own_password = AccessEnded::Staff {
            account_id: "acc".into(),
            staff_id: "ann".into(),
            except_session: Some("h1".into()),
        };
        assert!(!changed_own_password.ends(&session) && changed_own_password.ends(&token));
        let someone_else = AccessEnded::Staff {
            account_id: "acc".into(),
            staff_id: "bob".into(),
            except_session: None,
        };
        assert!(!someone_else.ends(&session));
    }
}
