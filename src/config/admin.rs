//! The `[admin]` section: what the staff console asks of a session (docs/admin.md).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// An admin page wants a sign-in at most this many seconds old; an older session
    /// is sent to the login page and back (a fresh login, like OIDC's `max_age`).
    pub max_age_secs: u64,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self { max_age_secs: 1800 }
    }
}
