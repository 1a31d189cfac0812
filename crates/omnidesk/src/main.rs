//! The `omnidesk` command line: a thin shell over the `server` and
//! `emulator` libraries.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use server::config::{Config, ConfigLayer};

#[derive(Parser)]
#[command(
    name = "omnidesk",
    version,
    about = "Self-hosted omnichannel contact center"
)]
struct Cli {
    /// TOML configuration file (see `omnidesk config example`).
    #[arg(long, global = true, env = "OMNIDESK_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    flags: Flags,
    #[command(subcommand)]
    command: Command,
}

/// Flags that override the file and the environment.
#[derive(Args)]
struct Flags {
    /// Address to listen on [env: OMNIDESK_LISTEN; default 127.0.0.1:8080; emulator: 127.0.0.1:8090].
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Data directory [env: OMNIDESK_DATA_DIR; default ./data; demo: ./data/demo].
    #[arg(long, global = true)]
    data_dir: Option<String>,
    /// Database URL, sqlite://… or postgres://… [env: OMNIDESK_DATABASE_URL].
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Public base URL [env: OMNIDESK_PUBLIC_URL].
    #[arg(long, global = true)]
    public_url: Option<String>,
    /// Graph API base URL [env: OMNIDESK_GRAPH_URL].
    #[arg(long, global = true)]
    graph_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Try the whole product offline: the server and the Facebook emulator
    /// wired together, with demo data (docs/demo.md). `--listen` is the
    /// server's address [default 127.0.0.1:8080], `--data-dir` the data
    /// [default ./data/demo].
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run the local Facebook stand-in (Graph API, login dialog, webhooks).
    Emulator(Box<EmulatorArgs>),
    /// Print the API's OpenAPI document (as served at /api/openapi.json;
    /// needs no database). `scripts/gen-openapi` writes it for the web app.
    Openapi,
}

/// `omnidesk emulator`: see docs/emulator.md.
#[derive(Args)]
struct EmulatorArgs {
    /// The product's webhook callback, e.g. http://127.0.0.1:8080/webhooks/facebook.
    #[arg(long)]
    webhook_url: Option<url::Url>,
    /// The product's deauthorize callback.
    #[arg(long)]
    deauthorize_url: Option<url::Url>,
    /// The Facebook app id the product is configured with.
    #[arg(long, env = "OMNIDESK_FACEBOOK_APP_ID")]
    app_id: String,
    /// The app secret the product is configured with (signs webhooks).
    #[arg(long, env = "OMNIDESK_FACEBOOK_APP_SECRET", hide_env_values = true)]
    app_secret: String,
    /// The webhook verify token (sent in the subscription handshake).
    #[arg(long, env = "OMNIDESK_FACEBOOK_VERIFY_TOKEN", hide_env_values = true)]
    verify_token: Option<String>,
    /// Base URL of the emulator as others reach it, when not its listen address.
    #[arg(long)]
    emulator_url: Option<url::Url>,
}

/// `omnidesk demo`: see docs/demo.md.
#[derive(Args)]
struct DemoArgs {
    /// The emulator's address (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8090")]
    emulator_listen: std::net::SocketAddr,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account and its first admin.
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example configuration file.
    Example,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OMNIDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("omnidesk: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("omnidesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = match cli.command {
        Command::Config(ConfigCommand::Example) => {
            print!("{}", Config::example_toml());
            return Ok(());
        }
        Command::Openapi => {
            println!("{}", server::routes::openapi_json());
            return Ok(());
        }
        Command::Emulator(args) => {
            let listen = cli.flags.listen.as_deref().unwrap_or("127.0.0.1:8090");
            let listen = listen
                .parse()
                .map_err(|_| anyhow::anyhow!("--listen: must be an address like 127.0.0.1:8090"))?;
            return run_emulator(listen, *args).await;
        }
        Command::Demo(args) => {
            let defaults = omnidesk::demo::DemoOptions::default();
            let listen = match cli.flags.listen.as_deref() {
                Some(listen) => listen.parse().map_err(|_| {
                    anyhow::anyhow!("--listen: must be an address like 127.0.0.1:8080")
                })?,
                None => defaults.listen,
            };
            let options = omnidesk::demo::DemoOptions {
                data_dir: cli.flags.data_dir.map_or(defaults.data_dir, PathBuf::from),
                listen,
                emulator_listen: args.emulator_listen,
            };
            omnidesk::demo::run(options, server::shutdown_signal()).await?;
            return Ok(());
        }
        other => other,
    };
    let flags = ConfigLayer {
        listen: cli.flags.listen,
        data_dir: cli.flags.data_dir,
        database_url: cli.flags.database_url,
        public_url: cli.flags.public_url,
        graph_url: cli.flags.graph_url,
        ..Default::default()
    };
    let config = Config::from_sources(cli.config.as_deref(), flags)?;
    match command {
        Command::Serve => {
            let app = server::Application::build(config).await?;
            app.run_until_stopped(server::shutdown_signal()).await
        }
        Command::Migrate => {
            server::bootstrap::migrate(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin(AdminCommand::Create {
            account,
            email,
            password,
            first_name,
            last_name,
        }) => {
            let (account_id, staff_id) = server::bootstrap::create_account_with_admin(
                &config,
                server::bootstrap::NewAdmin {
                    account_name: account,
                    email,
                    password,
                    first_name,
                    last_name,
                },
            )
            .await?;
            println!("created account {account_id} with admin {staff_id}");
            Ok(())
        }
        Command::Config(_) | Command::Emulator(_) | Command::Demo(_) | Command::Openapi => {
            unreachable!("handled above")
        }
    }
}

async fn run_emulator(listen: std::net::SocketAddr, args: EmulatorArgs) -> anyhow::Result<()> {
    let mut config = emulator::EmulatorConfig::new(args.app_id, args.app_secret);
    config.listen = listen;
    config.webhook_url = args.webhook_url;
    config.deauthorize_url = args.deauthorize_url;
    config.verify_token = args.verify_token;
    config.public_url = args.emulator_url;
    config.webhook = emulator::WebhookOptions {
        // Facebook's own timings: batch briefly, retry up to a minute apart,
        // unsubscribe after an hour of failures.
        batch_window: std::time::Duration::from_millis(50),
        retry_initial: std::time::Duration::from_secs(1),
        retry_max: std::time::Duration::from_secs(60),
        failure_window: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    emulator::run(config, server::shutdown_signal()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn admin_create_takes_every_field_it_needs() {
        use clap::Parser;
        let cli = super::Cli::try_parse_from([
            "omnidesk",
            "admin",
            "create",
            "--account",
            "Acme",
            "--email",
            "a@b.co",
            "--password",
            "long password",
            "--first-name",
            "Ada",
            "--last-name",
            "Admin",
        ]);
        assert!(cli.is_ok());
        let missing =
            super::Cli::try_parse_from(["omnidesk", "admin", "create", "--account", "Acme"]);
        assert!(missing.is_err());
    }
}
