use serde::{Deserialize, Serialize};

use crate::forge::Forge;

/// What the browser may know about this Tally installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// No real forge is configured: the forges are simulated and the data made up.
    pub demo: bool,
    /// The forges this installation reads from.
    pub forges: Vec<Forge>,
    /// Accounts worth trying (the demo's busiest people), as account specs.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Organisations' addresses worth a health check (the demo's biggest).
    #[serde(default)]
    pub organisation_examples: Vec<String>,
    /// Where people reach this installation (`--public-url`), without a
    /// trailing slash: the start of links meant for other sites.
    #[serde(default)]
    pub public_url: String,
}
