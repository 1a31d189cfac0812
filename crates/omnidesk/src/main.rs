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
    /// Address to listen on [env: OMNIDESK_LISTEN; default 127.0.0.1:8080].
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Data directory [env: OMNIDESK_DATA_DIR; default ./data].
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
    /// Apply database migrations and exit.
    Migrate,
    /// Administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
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
    if let Command::Config(ConfigCommand::Example) = cli.command {
        print!("{}", Config::example_toml());
        return Ok(());
    }
    let flags = ConfigLayer {
        listen: cli.flags.listen,
        data_dir: cli.flags.data_dir,
        database_url: cli.flags.database_url,
        public_url: cli.flags.public_url,
        graph_url: cli.flags.graph_url,
        ..Default::default()
    };
    let config = Config::from_sources(cli.config.as_deref(), flags)?;
    match cli.command {
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
        Command::Config(ConfigCommand::Example) => unreachable!("handled above"),
    }
}
