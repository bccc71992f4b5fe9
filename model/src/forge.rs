use serde::{Deserialize, Serialize};

/// The code forges Tally reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
