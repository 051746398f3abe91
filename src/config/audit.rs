//! The `[audit]` section: periodic checkpoints of the audit chain and the retention
//! period of `audit prune` (docs/audit.md).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Every this many seconds the server writes a signed checkpoint of the chain's
    /// head to the log (target `propusk::audit_checkpoint`) and to `checkpoint_file`.
    /// 0: none.
    pub checkpoint_interval_secs: u64,
    /// A file the checkpoints are appended to (ship it elsewhere). Empty: the log only.
    pub checkpoint_file: PathBuf,
    /// `audit prune` exports and removes events older than this many days. 0: keep all.
    pub retention_days: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { checkpoint_interval_secs: 3600, checkpoint_file: PathBuf::new(), retention_days: 0 }
    }
}
