//! The login-flow scenarios, closed loop, one whole flow per operation:
//! S6 password login (`/authorize` with PKCE S256 → the `/login` form → code →
//! `/token`, a fresh cookie jar per flow) and S7 SSO-cookie login (one password
//! login per connection first, then `/authorize` → code at once → `/token`).
//! The ESIA flow (S8) is in `esia.rs` and uses [`run_flows`] too.

use super::browser::{Browser, describe, hidden, query_param};
use super::http::{contains, form_value};
use super::run::Phase;
use super::seed::{CHALLENGE, LOGIN, PASSWORD, REDIRECT_URI, SCHOOL1, VERIFIER};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The scope the flow client asks for (an ID token, no refresh token).
pub const FLOW_SCOPE: &str = "openid profile";
/// How long one step of a flow may take before the flow counts as failed.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// What every flow of one server needs: its address, the flow client and its credentials.
#[derive(Clone)]
pub struct FlowTarget {
    pub addr: SocketAddr,
    /// `Basic …` of the client (RFC 6749 §2.3.1).
    pub authorization: String,
    /// `/authorize?…` with PKCE S256 (RFC 7636 §4.3).
    pub authorize_path: String,
}

impl FlowTarget {
    pub fn new(addr: SocketAddr, client_id: &str, authorization: String) -> Self {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", FLOW_SCOPE)
            .append_pair("state", "bench-state")
            .append_pair("nonce", "bench-nonce")
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256")
            .finish();
        Self { addr, authorization, authorize_path: format!("/authorize?{q}") }
    }
}

/// The code of the RP redirect in `location` (RFC 6749 §4.1.2), or why there is none.
fn code_of(location: Option<&str>) -> Result<String, String> {
    let loc = location.ok_or_else(|| "no redirect to the client".to_owned())?;
    if !loc.starts_with(REDIRECT_URI) {
        return Err(format!("redirect elsewhere than to the client: {loc}"));
    }
    query_param(loc, "code").ok_or_else(|| format!("no code in the redirect: {loc}"))
}

/// `/authorize` → `/login` page → the form posted → the code.
pub async fn password_login(b: &mut Browser, t: &FlowTarget) -> Result<String, String> {
    let (at, login_path) = b.redirected(t.addr, &t.authorize_path, None).await?;
    let html = b.page(at, &login_path, None).await?;
    let csrf = hidden(&html, "csrf").ok_or("no csrf field on the login page")?;
    let flow = hidden(&html, "flow").ok_or("no flow field on the login page")?;
    let form = format!(
        "csrf={}&flow={}&org_kind=school&org={SCHOOL1}&login={LOGIN}&password={}",
        form_value(&csrf),
        form_value(&flow),
        form_value(PASSWORD)
    );
    let res = b.send(t.addr, "/login", None, Some(&form)).await?;
    if !matches!(res.status, 302 | 303) {
        return Err(describe("/login", &res));
    }
    code_of(res.location.as_deref())
}

/// The code exchange (RFC 6749 §4.1.3, PKCE verifier of RFC 7636 §4.5): 200 with tokens.
pub async fn exchange(b: &mut Browser, t: &FlowTarget, code: &str) -> Result<(), String> {
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={VERIFIER}",
        form_value(code),
        form_value(REDIRECT_URI)
    );
    let res = b.send(t.addr, "/token", Some(&t.authorization), Some(&form)).await?;
    if res.status != 200 || !contains(&res.body, b"\"id_token\"") {
        return Err(describe("/token", &res));
    }
    Ok(())
}

/// S6: one password login with a fresh jar (the connection stays open).
pub async fn s6_flow(b: &mut Browser, t: &FlowTarget) -> Result<(), String> {
    b.jar.clear();
    let code = password_login(b, t).await?;
    exchange(b, t, &code).await
}

/// S7: with the session cookie in the jar, `/authorize` answers with the code at once.
pub async fn s7_flow(b: &mut Browser, t: &FlowTarget) -> Result<(), String> {
    let res = b.send(t.addr, &t.authorize_path, None, None).await?;
    if !matches!(res.status, 302 | 303) {
        return Err(describe("/authorize", &res));
    }
    let code = code_of(res.location.as_deref())?;
    exchange(b, t, &code).await
}

/// The browsers of S7: one per connection, each signed in once (a whole S6 flow).
pub async fn signed_in_browsers(t: &FlowTarget, n: usize) -> Result<Vec<Browser>, String> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut b = Browser::new(STEP_TIMEOUT);
        s6_flow(&mut b, t).await.map_err(|e| format!("S7 sign-in {} of {n}: {e}", i + 1))?;
        out.push(b);
    }
    Ok(out)
}

/// Runs `browsers.len()` closed loops of `flow` for `duration`; each success is
/// one whole flow. Loop i starts `ramp × i / n` after the others' start (S8 ramps
/// its 1,500 flows up; S6 and S7 start at once). Returns the phase and the
/// browsers (for the next phase).
pub async fn run_flows<F, Fut>(
    browsers: Vec<Browser>,
    target: Arc<FlowTarget>,
    duration: Duration,
    ramp: Duration,
    flow: F,
) -> (Phase, Vec<Browser>)
where
    F: Fn(Browser, Arc<FlowTarget>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = (Browser, Result<(), String>)> + Send + 'static,
{
    let start = Instant::now();
    let deadline = start + duration;
    let n = browsers.len().max(1) as u32;
    let mut tasks = Vec::with_capacity(browsers.len());
    for (i, b) in browsers.into_iter().enumerate() {
        let target = target.clone();
        let delay = ramp * u32::try_from(i).unwrap_or(u32::MAX) / n;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut b = b;
            let (mut ok, mut errors, mut latencies, mut first) = (0u64, 0u64, Vec::new(), None);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let (back, res) = flow(b, target.clone()).await;
                b = back;
                match res {
                    Ok(()) => {
                        ok += 1;
                        latencies.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    Err(e) => {
                        errors += 1;
                        first.get_or_insert(e);
                        // A failing flow must not spin: back off a little.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (b, ok, errors, latencies, first)
        }));
    }
    let mut phase = Phase::default();
    let mut back = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok((b, ok, errors, latencies, first)) => {
                phase.ok += ok;
                phase.errors += errors;
                phase.latencies.extend_from_slice(&latencies);
                if phase.first_error.is_none() {
                    phase.first_error = first;
                }
                back.push(b);
            }
            Err(e) => {
                phase.errors += 1;
                phase.first_error.get_or_insert_with(|| format!("task: {e}"));
            }
        }
    }
    phase.elapsed = start.elapsed();
    phase.latencies.sort_unstable();
    (phase, back)
}

/// Fresh browsers (S6: each flow clears its jar anyway).
pub fn browsers(n: usize) -> Vec<Browser> {
    (0..n).map(|_| Browser::new(STEP_TIMEOUT)).collect()
}

/// [`s6_flow`] in the shape [`run_flows`] wants.
pub async fn s6_op(mut b: Browser, t: Arc<FlowTarget>) -> (Browser, Result<(), String>) {
    let r = s6_flow(&mut b, &t).await;
    (b, r)
}

/// [`s7_flow`] in the shape [`run_flows`] wants.
pub async fn s7_op(mut b: Browser, t: Arc<FlowTarget>) -> (Browser, Result<(), String>) {
    let r = s7_flow(&mut b, &t).await;
    (b, r)
}
