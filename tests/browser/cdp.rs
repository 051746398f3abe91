//! A minimal Chrome DevTools Protocol client: starts Debian's headless `chromium`
//! with a fresh profile, attaches to one page over the DevTools WebSocket and sends
//! commands one at a time (events are ignored; page loads are detected by polling).

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one DevTools command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A running headless Chromium with one attached page.
pub struct Browser {
    child: Child,
    ws: Socket,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium (killed when dropped) and opens one blank page.
    pub async fn launch() -> Result<Self> {
        let profile = tempfile::tempdir()?;
        let child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("start chromium")?;
        let endpoint = wait_for_endpoint(profile.path()).await?;
        let (ws, _) = tokio_tungstenite::connect_async(endpoint.as_str()).await.context("DevTools WebSocket")?;
        let mut browser = Browser { child, ws, session: String::new(), next_id: 0, _profile: profile };
        let target = browser.call_browser("Target.createTarget", json!({"url": "about:blank"})).await?;
        let target_id = target["targetId"].as_str().ok_or_else(|| anyhow!("no targetId"))?.to_owned();
        let attached =
            browser.call_browser("Target.attachToTarget", json!({"targetId": target_id, "flatten": true})).await?;
        browser.session = attached["sessionId"].as_str().ok_or_else(|| anyhow!("no sessionId"))?.to_owned();
        browser.call("Page.enable", json!({})).await?;
        browser.call("Runtime.enable", json!({})).await?;
        Ok(browser)
    }

    /// Sends a command to the attached page and returns its `result`.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let session = self.session.clone();
        self.send(method, params, Some(&session)).await
    }

    async fn call_browser(&mut self, method: &str, params: Value) -> Result<Value> {
        self.send(method, params, None).await
    }

    async fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).await?;
        let read = async {
            while let Some(frame) = self.ws.next().await {
                let Message::Text(text) = frame? else { continue };
                let v: Value = serde_json::from_str(text.as_str())?;
                if v["id"].as_u64() != Some(id) {
                    continue; // an event or an older reply
                }
                if let Some(err) = v.get("error") {
                    bail!("{method}: {err}");
                }
                return Ok(v["result"].clone());
            }
            bail!("DevTools connection closed")
        };
        tokio::time::timeout(COMMAND_TIMEOUT, read).await.map_err(|_| anyhow!("{method} timed out"))?
    }

    /// Evaluates a JavaScript expression (promises awaited) and returns its value.
    pub async fn eval(&mut self, expr: &str) -> Result<Value> {
        let r = self
            .call("Runtime.evaluate", json!({"expression": expr, "returnByValue": true, "awaitPromise": true}))
            .await?;
        if let Some(ex) = r.get("exceptionDetails") {
            bail!("script failed: {ex}");
        }
        Ok(r["result"]["value"].clone())
    }

    /// Closes the browser.
    pub async fn close(mut self) {
        let _ = self.call_browser("Browser.close", json!({})).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}

/// Chromium writes the port and path of its DevTools endpoint to this file.
async fn wait_for_endpoint(profile: &Path) -> Result<String> {
    let file = profile.join("DevToolsActivePort");
    for _ in 0..200 {
        if let Ok(text) = tokio::fs::read_to_string(&file).await {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return Ok(format!("ws://127.0.0.1:{}{}", port.trim(), path.trim()));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("chromium did not open its DevTools port within 10 s")
}
