//! The `propusk` command line: parses arguments, loads the configuration, and
//! calls into the library. Exit codes: 0 success, 2 bad usage or configuration,
//! 1 anything else.

use clap::{Parser, Subcommand};
use propusk::cli::{self, AddClient, CliError};
use propusk::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "propusk", version, about = "OpenID Provider for school e-diaries with ESIA (Госуслуги) login")]
struct Cli {
    /// Configuration file (TOML); every key can also be set as PROPUSK_<SECTION>__<KEY>.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once per run: the size of the `clients add` arguments does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the provider.
    Serve {
        /// Seed the demo data set and mount the ESIA sandbox.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Test the configuration and its environment without changing anything; exit 2 on a problem.
    Check,
    /// GET the server's /healthz (exit 0 when it answers 2xx, else 1): the container health check.
    Health {
        /// Default: /healthz of `server.listen`.
        #[arg(long)]
        url: Option<String>,
    },
    /// Relying parties.
    #[command(subcommand)]
    Clients(ClientsCmd),
    /// The school directory.
    #[command(subcommand)]
    Directory(DirectoryCmd),
    /// Token-signing keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Roles of staff accounts.
    #[command(subcommand)]
    Staff(StaffCmd),
    /// Run the ESIA sandbox alone.
    EsiaSandbox {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
    },
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)]
enum ClientsCmd {
    /// Register a relying party; prints it as JSON (with its secret, once).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long = "redirect-uri")]
        redirect_uri: Vec<String>,
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uri: Vec<String>,
        /// A public client (no secret; same as --auth-method none).
        #[arg(long)]
        public: bool,
        #[arg(long)]
        secret: Option<String>,
        #[arg(long)]
        scope: Option<String>,
        #[arg(long = "grant-type")]
        grant_type: Vec<String>,
        /// implicit | explicit
        #[arg(long)]
        consent: Option<String>,
        /// client_secret_basic | client_secret_post | none
        #[arg(long = "auth-method")]
        auth_method: Option<String>,
        /// RS256 | ES256 | EdDSA
        #[arg(long = "id-token-alg")]
        id_token_alg: Option<String>,
        /// public | pairwise (docs/subjects.md)
        #[arg(long = "subject-type")]
        subject_type: Option<String>,
        /// A pairwise client's sector (its host); https.
        #[arg(long = "sector-identifier-uri")]
        sector_identifier_uri: Option<String>,
        /// An RFC 8707 resource the client may ask tokens for (repeatable).
        #[arg(long = "resource")]
        resource: Vec<String>,
        /// Shown on consent pages instead of the id.
        #[arg(long = "display-name")]
        display_name: Option<String>,
        /// /authorize only with a pushed request (PAR, RFC 9126).
        #[arg(long = "require-par")]
        require_par: bool,
        /// Tokens only with a DPoP proof (RFC 9449 §5.2).
        #[arg(long = "require-dpop")]
        require_dpop: bool,
        /// Back-Channel Logout: where logout tokens are POSTed (https, or http on a loopback IP literal).
        #[arg(long = "backchannel-logout-uri")]
        backchannel_logout_uri: Option<String>,
        /// The client needs `sid` in its logout tokens.
        #[arg(long = "backchannel-logout-session-required")]
        backchannel_logout_session_required: bool,
    },
    /// Change a client; prints it as JSON.
    Update(cli::UpdateArgs),
    /// Give a confidential client a new secret (printed once).
    RotateSecret {
        id: String,
        /// The old secret stays valid until then (unix seconds or RFC 3339, at most 30 days).
        #[arg(long = "old-valid-until")]
        old_valid_until: Option<String>,
    },
    List,
    Show {
        id: String,
    },
    Remove {
        id: String,
    },
}

#[derive(Subcommand)]
enum DirectoryCmd {
    /// Import organisations and school accounts from CSV or JSON.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum KeysCmd {
    List,
    /// Add a new key that starts signing after the configured grace period.
    Rotate {
        #[arg(long, default_value = "RS256")]
        alg: String,
    },
    /// Stop signing with a key; it stays in /jwks for the overlap, then leaves it.
    Retire {
        kid: String,
        /// How long it stays published (default: the longest token lifetime).
        #[arg(long)]
        overlap_secs: Option<i64>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Check the keyed hash chain of the whole audit log.
    Verify {
        /// A checkpoint file (`audit checkpoint --out`): the log must agree with every line.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Print a signed checkpoint of the log's head (its last row and hash).
    Checkpoint {
        /// Append it to this file as well.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export the events older than the retention period to a new file, then remove them.
    Prune {
        /// The export (JSON lines as `audit export`); must not exist yet.
        #[arg(long)]
        out: PathBuf,
        /// Events older than this many days (default: `audit.retention_days`).
        #[arg(long = "older-than-days")]
        older_than_days: Option<u64>,
    },
    /// Print the audit log as JSON lines.
    Export {
        /// Unix seconds or an RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
    },
    /// Print the events that match every filter given, as JSON lines.
    Search {
        /// Event kind, e.g. token_issued.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        client: Option<String>,
        /// Account id (as account, staff member or token subject).
        #[arg(long)]
        account: Option<String>,
        /// Organisation id.
        #[arg(long)]
        org: Option<String>,
        /// Token id (`jti`).
        #[arg(long)]
        jti: Option<String>,
        /// The X-Request-Id of the request.
        #[arg(long = "request-id")]
        request_id: Option<String>,
        /// From this time (unix seconds or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Before this time (unix seconds or RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// At most this many events.
        #[arg(long)]
        limit: Option<usize>,
    },
}

#[derive(Subcommand)]
enum StaffCmd {
    /// Grant a role: reviewer or org-admin (for --org, default the account's own), or system-admin.
    Grant(RoleArgs),
    /// Revoke a role granted before.
    Revoke(RoleArgs),
    /// Every role granted, as JSON.
    List,
}

#[derive(clap::Args)]
struct RoleArgs {
    /// The staff account's login (ORG/LOGIN when it exists in several organisations).
    login: String,
    /// reviewer, org-admin or system-admin.
    role: String,
    /// Organisation (id or exact name) the role holds for.
    #[arg(long)]
    org: Option<String>,
}

impl RoleArgs {
    fn change(self) -> cli::RoleChange {
        cli::RoleChange { login: self.login, role: self.role, org: self.org }
    }
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("propusk: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Serve { demo: true } = cli.command {
        config.demo = true;
    }
    propusk::logging::init(&config.log);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if config.server.worker_threads > 0 {
        rt.worker_threads(config.server.worker_threads);
    }
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("propusk: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("propusk: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), CliError> {
    match command {
        Command::Serve { .. } => propusk::serve::run(config).await.map_err(CliError::from),
        Command::Migrate => cli::migrate(&config).await,
        Command::Check => cli::check(&config).await,
        Command::Health { url } => cli::health(&url.unwrap_or_else(|| cli::default_health_url(&config))).await,
        Command::Clients(c) => {
            let out = match c {
                ClientsCmd::Add {
                    id,
                    redirect_uri,
                    post_logout_redirect_uri,
                    public,
                    secret,
                    scope,
                    grant_type,
                    consent,
                    auth_method,
                    id_token_alg,
                    subject_type,
                    sector_identifier_uri,
                    resource,
                    display_name,
                    require_par,
                    require_dpop,
                    backchannel_logout_uri,
                    backchannel_logout_session_required,
                } => {
                    let args = AddClient {
                        id,
                        redirect_uris: redirect_uri,
                        post_logout_redirect_uris: post_logout_redirect_uri,
                        public,
                        secret,
                        scope,
                        grant_types: grant_type,
                        consent,
                        auth_method,
                        id_token_alg,
                        subject_type,
                        sector_identifier_uri,
                        resources: resource,
                        display_name,
                        require_par,
                        require_dpop,
                        backchannel_logout_uri,
                        backchannel_logout_session_required,
                    };
                    cli::clients_add(&config, args).await?
                }
                ClientsCmd::Update(args) => cli::clients_update(&config, &args).await?,
                ClientsCmd::RotateSecret { id, old_valid_until } => {
                    cli::clients_rotate_secret(&config, &id, old_valid_until.as_deref()).await?
                }
                ClientsCmd::List => cli::clients_list(&config).await?,
                ClientsCmd::Show { id } => cli::clients_show(&config, &id).await?,
                ClientsCmd::Remove { id } => cli::clients_remove(&config, &id).await?,
            };
            print_json(&out);
            Ok(())
        }
        Command::Directory(DirectoryCmd::Import { file }) => {
            print_json(&cli::directory_import(&config, &file).await?);
            Ok(())
        }
        Command::Keys(KeysCmd::List) => {
            print_json(&cli::keys_list(&config).await?);
            Ok(())
        }
        Command::Keys(KeysCmd::Rotate { alg }) => {
            print_json(&cli::keys_rotate(&config, &alg).await?);
            Ok(())
        }
        Command::Keys(KeysCmd::Retire { kid, overlap_secs }) => {
            print_json(&cli::keys_retire(&config, &kid, overlap_secs).await?);
            Ok(())
        }
        Command::Audit(AuditCmd::Verify { checkpoint }) => {
            let r = cli::audit_verify_report(&config, checkpoint.as_deref()).await?;
            println!("audit chain intact: {} events ({} written before the chain was keyed)", r.rows, r.unkeyed);
            if let Some(seq) = r.pruned_upto {
                println!("events up to {seq} were pruned; the chain verifies from their signed anchor");
            }
            if checkpoint.is_some() {
                println!("agrees with {} checkpoints", r.checkpoints);
            }
            Ok(())
        }
        Command::Audit(AuditCmd::Prune { out, older_than_days }) => {
            let p = cli::audit_prune(&config, &out, older_than_days).await?;
            print_json(&serde_json::json!({
                "removed": p.rows,
                "first_seq": p.range.map(|r| r.0),
                "last_seq": p.range.map(|r| r.1),
                "out": out.display().to_string(),
                "anchor": p.anchor,
            }));
            Ok(())
        }
        Command::Audit(AuditCmd::Checkpoint { out }) => {
            println!("{}", cli::audit_checkpoint(&config, out.as_deref()).await?);
            Ok(())
        }
        Command::Audit(AuditCmd::Export { since }) => {
            let since = since.as_deref().map(cli::parse_since).transpose()?;
            cli::audit_export(&config, since, &mut std::io::stdout().lock()).await
        }
        Command::Audit(AuditCmd::Search { kind, client, account, org, jti, request_id, since, until, limit }) => {
            let filter = cli::audit_filter(&propusk::audit::search::FilterText {
                kind,
                client,
                account,
                org,
                jti,
                request_id,
                since,
                until,
            })?;
            cli::audit_search(&config, &filter, limit, &mut std::io::stdout().lock()).await.map(|_| ())
        }
        Command::Staff(StaffCmd::Grant(a)) => {
            print_json(&cli::staff_grant(&config, &a.change()).await?);
            Ok(())
        }
        Command::Staff(StaffCmd::Revoke(a)) => {
            print_json(&cli::staff_revoke(&config, &a.change()).await?);
            Ok(())
        }
        Command::Staff(StaffCmd::List) => {
            print_json(&cli::staff_list(&config).await?);
            Ok(())
        }
        Command::EsiaSandbox { listen } => {
            let addr = listen
                .parse()
                .map_err(|_| CliError::Usage("--listen: expected an address like 127.0.0.1:8090".into()))?;
            propusk::serve::esia_sandbox(addr, &config).await.map_err(CliError::from)
        }
    }
}
