//! Where each forge is and how to authenticate with it. The clients of the
//! forge-clients issue build on these endpoints.

use model::forge::Forge;
use model::instance::InstanceInfo;

/// One forge instance Tally talks to.
#[derive(Clone)]
pub struct Endpoint {
    pub forge: Forge,
    /// The API base URL, e.g. `https://api.github.com` or a simulator's address.
    pub api_url: String,
    pub token: Option<String>,
}

// Written by hand so a token never reaches a log line.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("forge", &self.forge)
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The forges of this installation.
#[derive(Debug, Clone)]
pub struct Forges {
    pub endpoints: Vec<Endpoint>,
    /// The endpoints are simulated: nothing shown is real.
    pub demo: bool,
}

impl Forges {
    pub fn info(&self) -> InstanceInfo {
        let mut forges: Vec<Forge> = self.endpoints.iter().map(|e| e.forge).collect();
        forges.sort();
        forges.dedup();
        InstanceInfo {
            demo: self.demo,
            forges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_token() {
        let endpoint = Endpoint {
            forge: Forge::GitHub,
            api_url: "https://api.github.com".into(),
            token: Some("ghp_secret".into()),
        };
        let printed = format!("{endpoint:?}");
        assert!(
            !printed.contains("ghp_secret") && printed.contains("redacted"),
            "{printed}"
        );
    }
}
