use serde::{Deserialize, Serialize};

/// The code forges Tally reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Forge {
    GitHub,
    GitLab,
    Bitbucket,
    Gerrit,
    Phabricator,
}

impl Forge {
    pub const ALL: [Forge; 5] = [
        Forge::GitHub,
        Forge::GitLab,
        Forge::Bitbucket,
        Forge::Gerrit,
        Forge::Phabricator,
    ];

    /// Forges whose repositories hold commits, pull/merge requests and issues.
    pub fn hosts_code(self) -> bool {
        matches!(self, Forge::GitHub | Forge::GitLab | Forge::Bitbucket)
    }

    pub fn name(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
            Forge::Bitbucket => "Bitbucket",
            Forge::Gerrit => "Gerrit",
            Forge::Phabricator => "Phabricator",
        }
    }
}

impl Forge {
    /// The name written in account specs: `github`, `gitlab`, …
    pub fn key(self) -> &'static str {
        match self {
            Forge::GitHub => "github",
            Forge::GitLab => "gitlab",
            Forge::Bitbucket => "bitbucket",
            Forge::Gerrit => "gerrit",
            Forge::Phabricator => "phabricator",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Forge::ALL
            .into_iter()
            .find(|f| f.key() == key.to_ascii_lowercase())
    }

    /// Whether the forge treats usernames without regard to case
    /// (Gerrit's are case-sensitive).
    pub fn case_insensitive_usernames(self) -> bool {
        self != Forge::Gerrit
    }

    /// Checks a username against the forge's rules; the message says what is wrong.
    pub fn check_username(self, name: &str) -> Result<(), String> {
        let allowed = |extra: &str| {
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        };
        let (ok, rule) = match self {
            Forge::GitHub => (
                (1..=39).contains(&name.len())
                    && allowed("-")
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.contains("--"),
                "GitHub usernames are 1–39 letters, digits or single hyphens, not at either end",
            ),
            Forge::GitLab => (
                (1..=255).contains(&name.len())
                    && allowed("-_.")
                    && name.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'),
                "GitLab usernames are letters, digits, '_', '-' or '.', starting with a letter, digit or '_'",
            ),
            Forge::Bitbucket => (
                (1..=100).contains(&name.len()) && allowed("-_{}:"),
                "Bitbucket accounts are a nickname, a {uuid} or an account id",
            ),
            Forge::Gerrit => (
                (1..=255).contains(&name.len()) && allowed("-_.@"),
                "Gerrit usernames are letters, digits, '-', '_', '.' or '@'",
            ),
            Forge::Phabricator => (
                (1..=64).contains(&name.len()) && allowed("-_."),
                "Phabricator usernames are letters, digits, '-', '_' or '.'",
            ),
        };
        if ok { Ok(()) } else { Err(rule.to_owned()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forges_serialize_as_lowercase_names() {
        assert_eq!(serde_json::to_string(&Forge::GitHub).unwrap(), "\"github\"");
        let parsed: Forge = serde_json::from_str("\"phabricator\"").unwrap();
        assert_eq!(parsed, Forge::Phabricator);
    }
}
