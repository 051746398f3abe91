//! The real `propusk` binary (CONTRACT.md §1): exit codes 2 (bad config or usage,
//! one line naming the key or argument) and 1 (not found), RFC 7591 JSON from
//! `clients add`, and key rotation visible in `keys list`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

/// A temporary installation: a config file with its own SQLite database and master key.
struct Install {
    dir: tempfile::TempDir,
}

impl Install {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "issuer = \"http://127.0.0.1:8080\"\n[database]\nurl = \"sqlite://{}\"\n[keys]\nmaster_key_file = \"{}\"\n",
            dir.path().join("propusk.db").display(),
            dir.path().join("master.key").display()
        );
        std::fs::write(dir.path().join("propusk.toml"), config).unwrap();
        Self { dir }
    }

    fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("propusk.toml")
    }

    fn run(&self, args: &[&str]) -> Output {
        run_with(&self.config(), self.dir.path(), args)
    }
}

fn run_with(config: &Path, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_propusk"));
    cmd.arg("--config").arg(config).args(args).current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("PROPUSK_") {
            cmd.env_remove(k);
        }
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON on stdout ({e}): {out}"))
}

#[tokio::test]
async fn cli_bad_config_value_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (toml, key) in [
        ("issuer = \"ftp://example.org\"\n", "issuer"),
        ("[database]\nurl = \"mysql://localhost/x\"\n", "database.url"),
        ("[tokens]\ncode_ttl_secs = 0\n", "tokens.code_ttl_secs"),
        ("[server]\nmax_body_bytes = \"lots\"\n", "server.max_body_bytes"),
    ] {
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, toml).unwrap();
        let o = run_with(&file, dir.path(), &["clients", "list"]);
        assert_eq!(o.status.code(), Some(2), "{toml}: {}", stderr(&o));
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{toml}: one line: {err}");
        assert!(lines[0].contains(key), "{toml}: the line names `{key}`: {err}");
    }
    // A missing config file is bad usage too.
    let o = run_with(&dir.path().join("missing.toml"), dir.path(), &["clients", "list"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[tokio::test]
async fn cli_clients_add_refuses_javascript_and_data_redirects() {
    let install = Install::new();
    for uri in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "https://rp.example/cb#frag"] {
        let o = install.run(&["clients", "add", "--id", "evil", "--redirect-uri", uri]);
        assert_eq!(o.status.code(), Some(2), "{uri}: {}", stderr(&o));
        assert!(stderr(&o).contains("redirect"), "{uri}: names the argument: {}", stderr(&o));
    }
    let o = install.run(&["clients", "show", "evil"]);
    assert_eq!(o.status.code(), Some(1), "nothing was stored");
}

#[tokio::test]
async fn cli_clients_show_unknown_exits_1() {
    let install = Install::new();
    let o = install.run(&["clients", "show", "nope"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("nope"));
}

#[tokio::test]
async fn cli_clients_add_prints_rfc7591_json() {
    let install = Install::new();
    let o = install.run(&[
        "clients",
        "add",
        "--id",
        "web",
        "--redirect-uri",
        "https://rp.example/cb",
        "--redirect-uri",
        "https://rp.example/cb2",
        "--post-logout-redirect-uri",
        "https://rp.example/bye",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["client_id"], "web");
    assert!(v["client_secret"].as_str().is_some_and(|s| s.len() >= 32), "a generated secret: {v}");
    assert_eq!(v["redirect_uris"], serde_json::json!(["https://rp.example/cb", "https://rp.example/cb2"]));
    assert_eq!(v["post_logout_redirect_uris"], serde_json::json!(["https://rp.example/bye"]));
    assert_eq!(v["grant_types"], serde_json::json!(["authorization_code", "refresh_token"]));
    assert_eq!(v["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(v["scope"], "openid profile email phone school children offline_access");
    assert_eq!(v["consent"], "implicit");
    // `show` never prints the secret again.
    let o = install.run(&["clients", "show", "web"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(json(&o).get("client_secret").is_none());
    // A public client has no secret and method `none`.
    let o = install.run(&["clients", "add", "--id", "app", "--public", "--redirect-uri", "ru.example.diary:/cb"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert!(v.get("client_secret").is_none_or(serde_json::Value::is_null), "{v}");
    assert_eq!(v["token_endpoint_auth_method"], "none");
    // The same id twice: exit 1.
    let o = install.run(&["clients", "add", "--id", "web", "--redirect-uri", "https://rp.example/cb"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[tokio::test]
async fn cli_keys_rotate_then_list_shows_a_next_key() {
    let install = Install::new();
    let o = install.run(&["keys", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = json(&o);
    assert!(before.as_array().unwrap().iter().any(|k| k["state"] == "active"), "{before}");
    let o = install.run(&["keys", "rotate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rotated = json(&o);
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    let o = install.run(&["keys", "list"]);
    let after = json(&o);
    let new = after.as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).expect("the new key is listed");
    assert_eq!(new["state"], "next", "{after}");
    assert!(after.as_array().unwrap().iter().any(|k| k["state"] == "active"), "the old key still signs: {after}");
    let o = install.run(&["keys", "rotate", "--alg", "HS256"]);
    assert_eq!(o.status.code(), Some(2), "a bad --alg is bad usage: {}", stderr(&o));
    // The active key cannot be retired (exit 2, one line); an unknown kid is exit 1.
    let active = after.as_array().unwrap().iter().find(|k| k["state"] == "active").unwrap()["kid"].clone();
    let o = install.run(&["keys", "retire", active.as_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    let o = install.run(&["keys", "retire", "no-such-kid", "--overlap-secs", "5"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The next key may be retired: it never signs.
    let o = install.run(&["keys", "retire", &kid, "--overlap-secs", "0"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = install.run(&["keys", "list"]);
    let listed = json(&o);
    let k = listed.as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    assert_eq!(k["state"], "retired", "{listed}");
}

#[tokio::test]
async fn az_13_cli_refuses_names_that_look_like_loopback() {
    let install = Install::new();
    for uri in ["http://127.attacker.example/cb", "http://127.0.0.1.attacker.example/cb", "http://localhost/cb"] {
        let o = install.run(&["clients", "add", "--id", "native", "--public", "--redirect-uri", uri]);
        assert_eq!(o.status.code(), Some(2), "{uri}: {}", stderr(&o));
        assert!(stderr(&o).contains("redirect"), "{uri}: names the argument: {}", stderr(&o));
        assert_eq!(stderr(&o).trim().lines().count(), 1, "one line: {}", stderr(&o));
    }
    let o = install.run(&["clients", "show", "native"]);
    assert_eq!(o.status.code(), Some(1), "nothing was stored");
    let o = install.run(&["clients", "add", "--id", "native", "--public", "--redirect-uri", "http://127.0.0.1/cb"]);
    assert_eq!(o.status.code(), Some(0), "a loopback IP literal is fine: {}", stderr(&o));
}

#[tokio::test]
async fn it_04_tk_06_cli_subject_type_sector_and_resources() {
    let install = Install::new();
    // Pairwise over two hosts needs a sector identifier (OIDC Registration §2).
    let two_hosts = ["--redirect-uri", "https://a.example/cb", "--redirect-uri", "https://b.example/cb"];
    let mut args = vec!["clients", "add", "--id", "pw", "--subject-type", "pairwise"];
    args.extend(two_hosts);
    let o = install.run(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--sector-identifier-uri"), "{}", stderr(&o));
    args.extend(["--sector-identifier-uri", "https://example.ru/sector.json"]);
    args.extend(["--resource", "https://api.example/", "--resource", "https://files.example/"]);
    let o = install.run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["subject_type"], "pairwise");
    assert_eq!(v["sector_identifier_uri"], "https://example.ru/sector.json");
    assert_eq!(v["resources"], serde_json::json!(["https://api.example/", "https://files.example/"]));
    let o = install.run(&["clients", "show", "pw"]);
    assert_eq!(json(&o)["resources"], v["resources"], "stored");
    for (flag, value) in [("--subject-type", "sometimes"), ("--resource", "https://api.example/#x")] {
        let o = install.run(&["clients", "add", "--id", "bad", "--redirect-uri", "https://a.example/cb", flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "names {flag}: {}", stderr(&o));
    }
}
