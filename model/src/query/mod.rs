//! A contribution query as people write it and as Tally stores it: who
//! (people and their forge accounts), when (UTC days), and which items.
//! [`QuerySpec::normalized`] makes equal questions equal, and
//! [`QuerySpec::hash`] names them with a short id for `/q/<hash>`.
//!
//! - [`spec`]: the query itself, its checks and its canonical form;
//! - [`form`]: the query form's text fields and how they read;
//! - [`hash`]: the short id of a query;
//! - [`answer`]: what the server answers about a query.

mod answer;
mod form;
mod hash;
mod spec;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use answer::*;
pub use form::{QueryForm, parse_people};
pub use hash::{QueryHash, is_hash};
pub use spec::{AccountSpec, PersonSpec, QuerySpec};

/// Default bounds; installations may configure others.
pub const MAX_IDENTITIES: usize = 50;
pub const MAX_YEARS: u32 = 10;

/// A problem with a query, naming the field it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for QueryError {}

fn problem(field: impl Into<String>, message: impl Into<String>) -> QueryError {
    QueryError {
        field: field.into(),
        message: message.into(),
    }
}
