//! Helpers shared by the simulator's integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared test helpers: each test binary uses some of them, and stops loudly on the unexpected"
)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sim::world::{World, WorldConfig, generate};

/// A response header as text, empty when absent.
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A world of one year ending 2026-11-01, small enough for debug builds.
pub fn one_year_world(seed: u64, people: usize, repos: usize) -> Arc<World> {
    Arc::new(generate(WorldConfig {
        seed,
        people,
        repos,
        years: 1,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    }))
}
