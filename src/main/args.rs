//! The arguments of the `propusk` command line (clap): every subcommand and its flags.

use clap::{Parser, Subcommand};
use propusk::cli;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "propusk", version, about = "OpenID Provider for school e-diaries with ESIA (Госуслуги) login")]
pub struct Cli {
    /// Configuration file (TOML); every key can also be set as PROPUSK_<SECTION>__<KEY>.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
// Parsed once per run: the size of the `clients add` arguments does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
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
pub enum ClientsCmd {
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
        /// client_secret_basic | client_secret_post | private_key_jwt | none
        #[arg(long = "auth-method")]
        auth_method: Option<String>,
        /// private_key_jwt: the client's public keys, a JWK Set file (RFC 7517 §5).
        #[arg(long = "jwks-file")]
        jwks_file: Option<PathBuf>,
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
        /// The client's logo on the consent page: an https URL (OIDC Registration §2 `logo_uri`).
        #[arg(long = "logo-uri")]
        logo_uri: Option<String>,
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
    /// Give a client an admin role for the admin API (`system-admin`, or `org-admin --org ORG`).
    GrantRole {
        id: String,
        role: String,
        #[arg(long)]
        org: Option<String>,
    },
    /// Take a client's admin role away.
    RevokeRole {
        id: String,
        role: String,
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DirectoryCmd {
    /// Import organisations and school accounts from CSV or JSON.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
pub enum KeysCmd {
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
pub enum AuditCmd {
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
pub enum StaffCmd {
    /// Grant a role: reviewer or org-admin (for --org, default the account's own), or system-admin.
    Grant(RoleArgs),
    /// Revoke a role granted before.
    Revoke(RoleArgs),
    /// Every role granted, as JSON.
    List,
}

#[derive(clap::Args)]
pub struct RoleArgs {
    /// The staff account's login (ORG/LOGIN when it exists in several organisations).
    pub login: String,
    /// reviewer, org-admin or system-admin.
    pub role: String,
    /// Organisation (id or exact name) the role holds for.
    #[arg(long)]
    pub org: Option<String>,
}

impl RoleArgs {
    pub fn change(self) -> cli::RoleChange {
        cli::RoleChange { login: self.login, role: self.role, org: self.org }
    }
}
