//! Page-level actions on top of the DevTools client: open a URL, click an element by
//! its visible text (a real mouse click at its centre), fill a field by its label, wait
//! for the next document, and take desktop and phone screenshots with an overflow check.

use super::cdp::Browser;
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// Desktop and phone viewports: (name, width, height, mobile).
pub const DESKTOP: (&str, u32, u32, bool) = ("desktop", 1280, 800, false);
pub const PHONE: (&str, u32, u32, bool) = ("phone", 360, 740, true);

/// How long one navigation may take.
const NAV_TIMEOUT: Duration = Duration::from_secs(15);

/// A browser tab driven through one journey, saving screenshots into `dir`.
pub struct Page {
    pub browser: Browser,
    dir: PathBuf,
    step: u32,
    /// The viewport the journey is driven at.
    drive: (&'static str, u32, u32, bool),
    /// Problems found on the way (horizontal overflow on the phone, ...).
    pub problems: Vec<String>,
}

/// Finds a visible clickable element whose text (or value) equals `text`.
const FIND: &str = r#"(text) => {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const els = [...document.querySelectorAll('a, button, label, summary, input[type=submit], input[type=button]')];
  const hit = els.find((e) => (norm(e.innerText) === text || norm(e.value) === text) && e.getClientRects().length > 0);
  if (!hit) { return { found: false, have: els.map((e) => norm(e.innerText) || norm(e.value)).filter((t) => t) }; }
  hit.scrollIntoView({ block: 'center', inline: 'center' });
  const r = hit.getBoundingClientRect();
  return { found: true, x: r.left + r.width / 2, y: r.top + r.height / 2 };
}"#;

impl Page {
    pub async fn new(dir: PathBuf, drive: (&'static str, u32, u32, bool)) -> Result<Self> {
        tokio::fs::create_dir_all(&dir).await.with_context(|| format!("create {}", dir.display()))?;
        let browser = Browser::launch().await?;
        let mut page = Page { browser, dir, step: 0, drive, problems: Vec::new() };
        page.viewport(drive).await?;
        Ok(page)
    }

    async fn viewport(&mut self, (_, width, height, mobile): (&str, u32, u32, bool)) -> Result<()> {
        self.browser
            .call(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
            )
            .await?;
        // Two animation frames: the new layout has been computed and painted.
        self.browser
            .eval("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
            .await?;
        Ok(())
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&mut self, url: &str) -> Result<()> {
        self.mark().await?;
        self.browser.call("Page.navigate", json!({"url": url})).await?;
        self.wait_new_document().await
    }

    /// Clicks the element with this visible text and waits for the next page.
    pub async fn click_and_wait(&mut self, text: &str) -> Result<()> {
        self.mark().await?;
        self.click(text).await?;
        self.wait_new_document().await.with_context(|| format!("after clicking «{text}»"))
    }

    /// A real mouse click in the middle of the element with this visible text.
    pub async fn click(&mut self, text: &str) -> Result<()> {
        let found = self.browser.eval(&format!("({FIND})({})", json!(text))).await?;
        if found["found"] != json!(true) {
            let url = self.url().await.unwrap_or_default();
            bail!("no visible «{text}» on {url}; clickable texts: {}", found["have"]);
        }
        let (x, y) = (found["x"].as_f64().unwrap_or(0.0), found["y"].as_f64().unwrap_or(0.0));
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.browser
                .call(
                    "Input.dispatchMouseEvent",
                    json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
                )
                .await?;
        }
        Ok(())
    }

    /// Types `value` into the field labelled `label`.
    pub async fn fill(&mut self, label: &str, value: &str) -> Result<()> {
        let script = format!(
            r#"((label) => {{
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const l = [...document.querySelectorAll('label')].find((e) => norm(e.innerText) === label);
  const input = l && l.control;
  if (!input) {{ return false; }}
  input.focus();
  input.value = '';
  return true;
}})({})"#,
            json!(label)
        );
        if self.browser.eval(&script).await? != json!(true) {
            bail!("no field labelled «{label}» on {}", self.url().await.unwrap_or_default());
        }
        self.browser.call("Input.insertText", json!({"text": value})).await?;
        Ok(())
    }

    /// Chooses the first visible option containing `option` in the select labelled `label`.
    #[allow(dead_code)] // not every browser test binary picks from a select
    pub async fn select(&mut self, label: &str, option: &str) -> Result<()> {
        let script = format!(
            r#"((label, want) => {{
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const l = [...document.querySelectorAll('label')]
    .find((e) => norm(e.innerText) === label && e.control instanceof HTMLSelectElement && e.control.getClientRects().length > 0);
  const sel = l && l.control;
  const opt = sel && [...sel.options].find((o) => norm(o.text).includes(want));
  if (!opt) {{ return false; }}
  sel.value = opt.value;
  sel.dispatchEvent(new Event('input', {{ bubbles: true }}));
  sel.dispatchEvent(new Event('change', {{ bubbles: true }}));
  return true;
}})({}, {})"#,
            json!(label),
            json!(option)
        );
        if self.browser.eval(&script).await? != json!(true) {
            bail!("no «{option}» in the list «{label}» on {}", self.url().await.unwrap_or_default());
        }
        Ok(())
    }

    /// The texts of the options the select labelled `label` offers now (not hidden).
    #[allow(dead_code)] // not every browser test binary reads a select's options
    pub async fn options(&mut self, label: &str) -> Result<Vec<String>> {
        let script = format!(
            r#"((label) => {{
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const l = [...document.querySelectorAll('label')]
    .find((e) => norm(e.innerText) === label && e.control instanceof HTMLSelectElement && e.control.getClientRects().length > 0);
  return l ? [...l.control.options].filter((o) => !o.hidden && !o.disabled && o.value).map((o) => norm(o.text)) : null;
}})({})"#,
            json!(label)
        );
        let found = self.browser.eval(&script).await?;
        let Some(list) = found.as_array() else {
            bail!("no list «{label}» on {}", self.url().await.unwrap_or_default())
        };
        Ok(list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
    }

    pub async fn url(&mut self) -> Result<String> {
        Ok(self.browser.eval("location.href").await?.as_str().unwrap_or_default().to_owned())
    }

    /// The visible text of the page.
    pub async fn text(&mut self) -> Result<String> {
        Ok(self
            .browser
            .eval("document.body ? document.body.innerText : ''")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub async fn title(&mut self) -> Result<String> {
        Ok(self.browser.eval("document.title").await?.as_str().unwrap_or_default().to_owned())
    }

    /// Leaves a marker in the current document; it disappears with the next one.
    async fn mark(&mut self) -> Result<()> {
        self.browser.eval("window.__propuskOldPage = true").await.map(|_| ())
    }

    async fn wait_new_document(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + NAV_TIMEOUT;
        loop {
            // Evaluating while the page is being replaced may fail: that is "not yet".
            let ready = self
                .browser
                .eval("!window.__propuskOldPage && document.readyState === 'complete'")
                .await
                .unwrap_or(Value::Bool(false));
            if ready == json!(true) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(anyhow!("no new page within {NAV_TIMEOUT:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves `NN-name-desktop.png` and `NN-name-phone.png` (whole page) and checks
    /// that nothing overflows horizontally on the phone.
    pub async fn shoot(&mut self, name: &str) -> Result<()> {
        self.step += 1;
        let title = self.title().await?;
        for size in [DESKTOP, PHONE] {
            let (suffix, width, height, _) = size;
            self.viewport(size).await?;
            let m = self
                .browser
                .eval(
                    "[document.documentElement.scrollWidth, window.innerWidth, document.documentElement.scrollHeight]",
                )
                .await?;
            let num = |i: usize| m[i].as_f64().unwrap_or(0.0);
            let (scroll_width, inner_width, scroll_height) = (num(0), num(1), num(2));
            if suffix == "phone" && scroll_width > inner_width {
                self.problems.push(format!(
                    "{name} («{title}»): horizontal overflow at {width} px: scrollWidth {scroll_width} > innerWidth {inner_width}"
                ));
            }
            let full_height = scroll_height.clamp(f64::from(height), 6000.0);
            let shot = self
                .browser
                .call(
                    "Page.captureScreenshot",
                    json!({"format": "png", "captureBeyondViewport": true,
                           "clip": {"x": 0, "y": 0, "width": width, "height": full_height, "scale": 1}}),
                )
                .await?;
            let png = base64::engine::general_purpose::STANDARD
                .decode(shot["data"].as_str().unwrap_or_default())
                .context("screenshot data")?;
            let file = self.dir.join(format!("{:02}-{name}-{suffix}.png", self.step));
            tokio::fs::write(&file, png).await.with_context(|| format!("write {}", file.display()))?;
        }
        self.viewport(self.drive).await
    }
}
