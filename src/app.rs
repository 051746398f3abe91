//! Composition root: builds the shared state and the router, and serves. No logic.

use crate::account::directory::DirectoryKeys;
use crate::account::throttle::LoginThrottle;
use crate::clock::Clock;
use crate::config::Config;
use crate::connector::sandbox::SandboxState;
use crate::crypto::MasterKey;
use crate::oidc::client::ClientRegistry;
use crate::store::Store;
use crate::token::{Issuer, KeyPolicy, KeyRing};
use crate::web::cookie::CookieKit;
use anyhow::Context as _;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Everything a handler may need; shared behind one `Arc`.
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub clients: ClientRegistry,
    pub keys: Arc<KeyRing>,
    pub issuer: Issuer,
    pub cookies: CookieKit,
    pub throttle: LoginThrottle,
    /// Counters of «Забыли пароль?» requests per login and per address.
    pub reset_throttle: LoginThrottle,
    pub pairwise_key: [u8; 32],
    /// The key of the stateless DPoP nonces (`oidc::dpop::nonce`).
    pub dpop_nonce_key: [u8; 32],
    /// The audit chain's key: the store hashes with it, checkpoints are signed with it.
    pub audit_key: crate::audit::ChainKey,
    /// The proxies whose forwarding header names the client (`web::client_addr`).
    pub proxies: crate::web::client_addr::Proxies,
    pub directory_keys: DirectoryKeys,
    /// The discovery document, serialised once.
    pub discovery: Arc<str>,
    /// ESIA («Через Госуслуги»), when enabled.
    pub esia: Option<Arc<dyn crate::connector::Connector>>,
    /// The ESIA sandbox mounted at `/esia-sandbox` in demo mode (tests turn its fault knobs).
    pub sandbox: Option<SandboxState>,
    /// The signed-in person of page requests, for the page header (`web::viewer`).
    pub viewers: crate::web::viewer::Viewers,
    /// The revocations introspection answers from memory (`oidc::revocations`).
    pub revocations: crate::oidc::revocations::RevocationSet,
}

/// Opens and migrates the store named by the configuration; its audit chain is keyed
/// from `master`. The first open records the master key's fingerprint in the
/// database; a later open with a different master key is refused.
pub async fn open_store(config: &Config, clock: Arc<dyn Clock>, master: &MasterKey) -> anyhow::Result<Arc<dyn Store>> {
    let chain = crate::audit::ChainKey::from_master(master);
    let store = crate::store::open_with(&config.database.url, config.database.pool(), clock, Some(chain))
        .await
        .context("cannot open the database")?;
    store.migrate().await.context("cannot migrate the database")?;
    let ours = crate::secrets::fingerprint(master);
    let stored = store.claim_installation(&ours).await.context("cannot read the installation's key fingerprint")?;
    if stored != ours {
        anyhow::bail!("{}", key_mismatch(&ours, &stored));
    }
    Ok(store)
}

/// The refusal of a master key that is not the installation's.
pub fn key_mismatch(ours: &str, stored: &str) -> String {
    format!(
        "the master key is not this installation's (its fingerprint {ours}, the database's {stored}): \
         every node needs the same keys.master_key or keys.master_key_file"
    )
}

/// Builds the application state: store (migrated), keys, demo data when asked.
pub async fn build(mut config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
    // With `[oidc]` on, «Через Госуслуги» goes there: no sandbox stands in for ESIA.
    let sandbox = if config.demo && !config.oidc.enabled { Some(demo_esia(&mut config, clock.clone())?) } else { None };
    let master = crate::secrets::load_master_key(&config.keys)?;
    let store = open_store(&config, clock.clone(), &master).await?;
    // Mounted by a server, the sandbox keeps its rows in the database: every node shares them.
    let sandbox = sandbox.map(|s| s.with_rows(store.clone()));
    let policy = KeyPolicy {
        rotation_grace_secs: config.keys.rotation_grace_secs,
        max_token_ttl_secs: config.tokens.id_token_ttl_secs.max(config.tokens.access_token_ttl_secs),
    };
    let keys = KeyRing::load_or_init(store.clone(), &master, clock.clone(), policy).await?;
    let directory_keys = DirectoryKeys::derive(&master);
    if config.demo {
        crate::demo::seed(&*store, &config, &directory_keys, &*clock).await?;
    }
    let app = App {
        issuer: Issuer::new(config.issuer.clone(), keys.clone(), clock.clone()),
        clients: ClientRegistry::new(store.clone(), Duration::from_secs(config.clients.cache_ttl_secs)),
        cookies: CookieKit::new(config.is_https(), master.derive("cookie")),
        throttle: LoginThrottle::new(&config.login, clock.clone(), master.derive("limits"), "login"),
        reset_throttle: crate::account::password_reset::reset_throttle(clock.clone(), master.derive("limits")),
        proxies: crate::web::client_addr::Proxies::parse(
            &config.server.trusted_proxies,
            &config.server.client_address_header,
        )
        .map_err(|(key, reason)| crate::config::ConfigError::new(key, reason))?,
        pairwise_key: master.derive("pairwise"),
        dpop_nonce_key: master.derive("dpop-nonce"),
        audit_key: crate::audit::ChainKey::from_master(&master),
        directory_keys,
        discovery: crate::oidc::discovery::document(&config.issuer, config.tokens.require_par).to_string().into(),
        esia: upstream_connector(&config, clock.clone(), &master)?,
        sandbox,
        viewers: crate::web::viewer::Viewers::default(),
        revocations: crate::oidc::revocations::RevocationSet::default(),
        keys,
        store,
        clock,
        config,
    };
    Ok(Arc::new(app))
}

/// Demo mode: unless `[esia]` is configured, the connector talks to the sandbox
/// mounted in this process at `{issuer}/esia-sandbox`, which knows our test certificate.
fn demo_esia(config: &mut Config, clock: Arc<dyn Clock>) -> anyhow::Result<SandboxState> {
    if !config.esia.enabled {
        let base = format!("{}/esia-sandbox", config.issuer);
        let callback = format!("{}/login/esia/callback", config.issuer);
        let personas = std::mem::take(&mut config.esia.sandbox.personas_file);
        let sso_secs = config.esia.sandbox.sso_secs;
        let certificates_dir = config.esia.certificates_dir.take();
        config.esia = crate::connector::EsiaConfig::for_sandbox(&base, &callback);
        config.esia.sandbox.sso_secs = sso_secs;
        // `esia.certificates_dir` set replaces the sandbox's certificate (a rotation rehearsed).
        if certificates_dir.is_some() {
            config.esia.certificates = Vec::new();
            config.esia.certificates_dir = certificates_dir;
        }
        // `esia.sandbox.personas_file` set in the configuration replaces the demo personas.
        if !personas.as_os_str().is_empty() {
            config.esia.sandbox.personas_file = personas;
        }
    }
    SandboxState::new(config.esia.sandbox.clone(), clock).context("ESIA sandbox (its personas, keys and certificates)")
}

/// The connector behind «Через Госуслуги»: the `[oidc]` upstream when enabled, else
/// ESIA of the `[esia]` section (`None` when neither is on).
fn upstream_connector(
    config: &Config,
    clock: Arc<dyn Clock>,
    master: &crate::crypto::MasterKey,
) -> anyhow::Result<Option<Arc<dyn crate::connector::Connector>>> {
    if config.oidc.enabled {
        let mut cfg = config.oidc.clone();
        if cfg.redirect_uri.is_empty() {
            cfg.redirect_uri = format!("{}/login/esia/callback", config.issuer);
        }
        let derive = cfg.pending_key.is_empty();
        let mut connector = crate::connector::oidc::OidcConnector::new(cfg, clock).context("OIDC upstream")?;
        if derive {
            // Every node derives the same key: a login started on one finishes on another.
            connector = connector.with_pending_key(master.derive("upstream-oidc"));
        }
        return Ok(Some(Arc::new(connector)));
    }
    let cfg = &config.esia;
    if !cfg.enabled {
        return Ok(None);
    }
    let connector = crate::connector::esia::EsiaConnector::new(cfg.clone(), clock).context("ESIA connector")?;
    Ok(Some(Arc::new(connector)))
}

/// The whole HTTP surface.
pub fn router(app: Arc<App>) -> Router {
    // The pages people see: each request resolves the header's viewer once (web::viewer).
    let pages = Router::new()
        .merge(crate::oidc::browser_routes())
        .merge(crate::flow::routes())
        .merge(crate::admin::routes())
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), crate::web::viewer::layer));
    let mut router = Router::new()
        .merge(crate::oidc::routes())
        .merge(crate::admin::api::routes())
        .merge(pages)
        .merge(crate::ops::routes(&app.config.ops));
    if app.config.demo {
        router = router.merge(crate::web::demo::routes(app.config.issuer.clone()).with_state(()));
    }
    if let Some(sandbox) = &app.sandbox {
        router = router.nest_service("/esia-sandbox", crate::connector::sandbox::router(sandbox.clone()));
    }
    let router = router.with_state(app.clone()).merge(crate::web::headers::static_routes());
    crate::web::layers(router, &app.config.server)
}

/// Background upkeep: pick up key rotations from other nodes and the CLI, purge
/// expired rows.
fn spawn_upkeep(app: Arc<App>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(e) = app.keys.reload().await {
                tracing::warn!(error = %e, "key reload failed");
            }
            n += 1;
            if n.is_multiple_of(20)
                && let Err(e) = app.store.purge_expired().await
            {
                tracing::warn!(error = %e, "purge of expired rows failed");
            }
        }
    })
}

/// A server bound to a listener, running until `shutdown` resolves; with the
/// operations listener of `ops.listen` when one is configured.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let ops = bind_ops(&app.config).await?;
    serve_with_ops(app, listener, ops, shutdown).await
}

/// The operations listener of `ops.listen`, bound (none when it is empty).
async fn bind_ops(config: &Config) -> anyhow::Result<Option<TcpListener>> {
    let Some(addr) = config.ops_addr()? else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (ops.listen)"))?;
    Ok(Some(listener))
}

/// [`serve`] with the operations listener already bound (or none).
pub async fn serve_with_ops(
    app: Arc<App>,
    listener: TcpListener,
    ops: Option<TcpListener>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let transport = crate::mail::transport_from_config(&app.config.mail).context("mail transport")?;
    let upkeep = spawn_upkeep(app.clone());
    let revocations = crate::oidc::revocations::spawn_poller(app.clone());
    let cache_sync = crate::cache_sync::spawn(app.clone());
    let chainer = crate::audit::pending::spawn_chainer(app.store.clone());
    let checkpoints = crate::audit::checkpoint::spawn_periodic(
        app.store.clone(),
        app.audit_key.clone(),
        app.clock.clone(),
        app.config.audit.clone(),
    );
    let mail = crate::mail::spawn_worker(app.store.clone(), transport, app.clock.clone(), app.config.mail.clone());
    let logouts =
        crate::oidc::backchannel_worker::spawn_worker(app.clone(), crate::oidc::backchannel_worker::http_client(&app)?);
    let limits = crate::web::edge::Limits::from_config(&app.config.server);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let signal = tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let ops = ops.map(|l| {
        tokio::spawn(crate::web::edge::serve(l, crate::ops::ops_router(app.clone()), limits, stopped(stop_rx.clone())))
    });
    crate::web::edge::serve(listener, router(app.clone()), limits, stopped(stop_rx)).await;
    if let Some(ops) = ops {
        let _ = ops.await;
    }
    signal.abort();
    mail.abort();
    logouts.abort();
    upkeep.abort();
    revocations.abort();
    if let Some(c) = cache_sync {
        c.abort();
    }
    if let Some(c) = checkpoints {
        c.abort();
    }
    chainer.abort();
    // A clean stop leaves nothing unchained (the next reader would chain it anyway).
    if let Err(e) = app.store.chain_pending().await {
        tracing::warn!(error = %e, "audit events not chained at shutdown");
    }
    Ok(())
}

/// A running server on an ephemeral port (tests and benchmarks).
pub struct Running {
    pub addr: SocketAddr,
    /// The operations listener, when `ops.listen` is set (port 0 picks one).
    pub ops_addr: Option<SocketAddr>,
    pub app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Builds the app and serves it on `listener` in the background.
pub async fn spawn(config: Config, clock: Arc<dyn Clock>, listener: TcpListener) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let ops = bind_ops(&config).await?;
    let ops_addr = ops.as_ref().map(TcpListener::local_addr).transpose()?;
    let app = build(config, clock).await?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_with_ops(app.clone(), listener, ops, async move {
        let _ = rx.await;
    }));
    Ok(Running { addr, ops_addr, app, stop: Some(tx), task })
}
