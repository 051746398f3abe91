//! The container image without Docker: `deploy/container-smoke.sh` runs the built
//! binary with the image's config file, paths and commands (`serve --demo`, the
//! HEALTHCHECK's `health`, `check`), and the Dockerfile is checked to name exactly them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

const CONFIG: &str = "\"/usr/local/bin/propusk\", \"--config\", \"/etc/propusk/propusk.toml\"";

#[test]
fn the_dockerfile_names_what_the_smoke_script_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    for line in [
        "COPY deploy/propusk.toml /etc/propusk/propusk.toml".to_owned(),
        "VOLUME [\"/var/lib/propusk\"]".to_owned(),
        "WORKDIR /var/lib/propusk".to_owned(),
        "USER propusk".to_owned(),
        format!("CMD [{CONFIG}, \"health\"]"),
        format!("ENTRYPOINT [{CONFIG}]"),
        "CMD [\"serve\"]".to_owned(),
    ] {
        assert!(dockerfile.lines().any(|l| l.trim() == line), "the Dockerfile has `{line}`");
    }
    let baked = std::fs::read_to_string(root.join("deploy/propusk.toml")).unwrap();
    let config: toml::Value = toml::from_str(&baked).unwrap();
    let paths = [
        config["database"]["url"].as_str().unwrap().trim_start_matches("sqlite://"),
        config["keys"]["master_key_file"].as_str().unwrap(),
        config["mail"]["dir"].as_str().unwrap(),
        config["audit"]["checkpoint_file"].as_str().unwrap(),
    ];
    for path in paths {
        assert!(path.starts_with("/var/lib/propusk/"), "{path} is in the volume");
    }
}

#[test]
fn container_smoke_script_runs_the_image_commands() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let port = crate::binary::free_port().to_string();
    let out = std::process::Command::new("sh")
        .arg(root.join("deploy/container-smoke.sh"))
        .arg(&port)
        .env("PROPUSK_BIN", crate::binary::BIN)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "container-smoke.sh: {stdout}\n{stderr}");
    assert!(stdout.contains("container-smoke: healthy"), "{stdout}");
    assert!(stdout.contains("propusk check: OK"), "{stdout}");
    assert!(stdout.contains("container-smoke: OK"), "{stdout}");
}
