//! The `propusk` command line: parses arguments, loads the configuration, and
//! calls into the library. Exit codes: 0 success, 2 bad usage or configuration,
//! 1 anything else.

#[path = "main/args.rs"]
mod args;

use args::{AuditCmd, Cli, ClientsCmd, Command, DirectoryCmd, KeysCmd, StaffCmd};
use clap::Parser;
use propusk::cli::{self, AddClient, CliError};
use propusk::config::Config;
use std::process::ExitCode;

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
    propusk::logging::init(&config.log, matches!(cli.command, Command::Serve { .. }));
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
                    jwks_file,
                    id_token_alg,
                    subject_type,
                    sector_identifier_uri,
                    resource,
                    display_name,
                    require_par,
                    require_dpop,
                    backchannel_logout_uri,
                    backchannel_logout_session_required,
                    logo_uri,
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
                        jwks: jwks_file.as_deref().map(cli::read_jwks_file).transpose()?,
                        logo_uri,
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
                ClientsCmd::GrantRole { id, role, org } => {
                    cli::clients_grant_role(&config, &cli::ClientRoleArgs { id, role, org }).await?
                }
                ClientsCmd::RevokeRole { id, role, org } => {
                    cli::clients_revoke_role(&config, &cli::ClientRoleArgs { id, role, org }).await?
                }
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
