//! Types that cross the wire between the browser, the server and API clients.
//!
//! Nothing here performs I/O, so the crate compiles for wasm and native alike.

pub mod activity;
pub mod contribution;
pub mod discovery;
pub mod error;
pub mod forge;
pub mod health_check;
pub mod ids;
pub mod instance;
pub mod period;
pub mod query;
pub mod rate_limit;
pub mod readiness;
pub mod report;
#[cfg(test)]
mod strategies;
pub mod tasks;
pub mod tokens;
pub mod tracker;
pub mod url;
pub mod wire;
