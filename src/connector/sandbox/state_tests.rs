//! The sandbox's configured latency starts its `latency_ms` fault knob.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;
use crate::clock::SystemClock;

#[test]
fn configured_latency_starts_the_latency_knob() {
    let cfg = SandboxConfig { latency_ms: 200, ..SandboxConfig::default() };
    let s = SandboxState::new(cfg, Arc::new(SystemClock)).expect("sandbox");
    assert_eq!(s.faults(), Faults { latency_ms: 200, ..Faults::default() });
}

#[test]
fn no_latency_by_default() {
    let s = SandboxState::new(SandboxConfig::default(), Arc::new(SystemClock)).expect("sandbox");
    assert_eq!(s.faults(), Faults::default());
}
