//! One-off administration used by the CLI: creating an account with its
//! first admin. Input goes through the same checks as the API.

use anyhow::Context;
use store::Store;

use crate::api::staff::{new_staff, CreateStaffRequest};
use crate::config::Config;

/// What `omnidesk admin create` takes.
#[derive(Debug, Clone)]
pub struct NewAdmin {
    pub account_name: String,
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
}

/// Creates a new account and its first admin; returns (account id, staff id).
pub async fn create_account_with_admin(
    config: &Config,
    input: NewAdmin,
) -> anyhow::Result<(String, String)> {
    let store = open_store(config).await?;
    let account_name = domain::staff::parse_name("account", &input.account_name, 80)
        .map_err(|e| anyhow::anyhow!("--{}", e))?;
    let staff = new_staff(CreateStaffRequest {
        email: input.email,
        password: input.password,
        role: "admin".into(),
        first_name: input.first_name,
        last_name: input.last_name,
        display_name: None,
        capacity: None,
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let account = store
        .create_account(&account_name)
        .await
        .context("creating the account")?;
    let staff = match store.create_staff(&account.id, staff).await {
        Ok(staff) => staff,
        Err(store::StoreError::Conflict { .. }) => {
            anyhow::bail!("a staff member with this e-mail address already exists")
        }
        Err(e) => return Err(e).context("creating the admin"),
    };
    store.close().await;
    Ok((account.id, staff.id))
}

/// Creates the data directory, opens the database and applies any
/// migrations not applied yet: what every command does first.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    crate::files::create_private_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let store = Store::connect(&config.database_url)
        .await
        .context("opening the database")?;
    store
        .migrate()
        .await
        .context("applying database migrations")?;
    Ok(store)
}

/// Applies the migrations and exits (`omnidesk migrate`).
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    store.close().await;
    Ok(())
}
