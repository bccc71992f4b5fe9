//! Everything Tally does that is not HTTP or HTML: talking to forges, storing
//! what they say in Postgres, and running background work.
//!
//! Only the server links this crate; nothing here may reach the wasm build.

pub mod accounts;
mod answers;
pub mod discovery;
pub mod error;
pub mod forge;
pub mod health_check;
pub mod jobs;
pub mod queries;
pub mod reports;
pub mod secrets;
pub mod seed;
pub mod store;
#[cfg(test)]
mod strategies;
pub mod tracker;

pub use error::{Error, Result};
