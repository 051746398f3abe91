//! The upstream behind «Через Госуслуги»: `[esia]` or `[oidc]`, never both.

use super::{Config, ConfigError};

impl Config {
    /// `esia.*` and `oidc.*`, and that at most one of them is on.
    pub(super) fn validate_upstream(&self) -> Result<(), ConfigError> {
        self.esia.validate(self.demo).map_err(|(key, reason)| ConfigError::new(format!("esia.{key}"), reason))?;
        self.oidc.validate().map_err(|(key, reason)| ConfigError::new(format!("oidc.{key}"), reason))?;
        if self.oidc.enabled && self.esia.enabled {
            return Err(ConfigError::new(
                "oidc.enabled",
                "cannot be on together with esia.enabled: «Через Госуслуги» goes through one upstream; turn one off",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc_on() -> Config {
        let mut c = Config::default();
        c.oidc.enabled = true;
        c.oidc.issuer = "https://idp.example".into();
        c.oidc.client_id = "propusk".into();
        c
    }

    fn key_of(c: &Config) -> String {
        c.validate().err().map(|e| e.key).unwrap_or_default()
    }

    #[test]
    fn oidc_section_is_accepted_and_its_errors_name_the_key() {
        assert_eq!(oidc_on().validate(), Ok(()));
        let mut c = oidc_on();
        c.esia.enabled = true;
        assert_eq!(key_of(&c), "esia.client_id", "esia's own rules first");
        let mut c = oidc_on();
        c.esia = crate::connector::EsiaConfig::for_sandbox("http://127.0.0.1:1/esia-sandbox", "http://127.0.0.1:1/cb");
        c.demo = true;
        assert_eq!(key_of(&c), "oidc.enabled", "both upstreams on");
        type Tweak = fn(&mut Config);
        let cases: [(&str, Tweak); 7] = [
            ("oidc.issuer", |c| c.oidc.issuer = "http://idp.example".into()),
            ("oidc.client_id", |c| c.oidc.client_id = " ".into()),
            ("oidc.token_endpoint", |c| c.oidc.authorization_endpoint = "https://idp.example/a".into()),
            ("oidc.id_token_algs", |c| c.oidc.id_token_algs = vec!["HS256".into()]),
            ("oidc.token_auth", |c| c.oidc.token_auth = "private_key_jwt".into()),
            ("oidc.state_ttl_secs", |c| c.oidc.state_ttl_secs = 5),
            ("oidc.redirect_uri", |c| c.oidc.redirect_uri = "/relative".into()),
        ];
        for (key, tweak) in cases {
            let mut c = oidc_on();
            tweak(&mut c);
            assert_eq!(key_of(&c), key);
        }
        let mut c = oidc_on();
        c.oidc.issuer = "http://127.0.0.1:9/".into();
        c.oidc.allow_http = true;
        assert_eq!(c.validate(), Ok(()), "http on loopback with allow_http");
    }
}
