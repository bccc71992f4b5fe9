//! An organisation health check: the public repositories of organisations
//! (GitHub organisations or users, GitLab groups, Bitbucket workspaces) and
//! their numbers, per organisation and in total, as `/api/v1/health-check`
//! answers and the `/health` page shows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::forge::Forge;

/// The most addresses one check takes, unless the installation says otherwise.
pub const DEFAULT_MOST_ADDRESSES: usize = 50;

/// The answer: the numbers, and the addresses that name no organisation.
/// Data and misses are apart, so a script reads one without the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthCheck {
    pub data: HealthData,
    /// Addresses (as given) whose organisation the forge does not have.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthData {
    /// Every organisation's numbers added up.
    pub total: Numbers,
    /// In the order the addresses were given, each once.
    pub organisations: Vec<Organisation>,
}

/// What kind of owner an address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    /// A GitHub organisation.
    Organization,
    /// A GitHub user.
    User,
    /// A GitLab group.
    Group,
    /// A Bitbucket workspace.
    Workspace,
}

/// One organisation and its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    /// Its page on the forge, written the one way Tally writes it.
    pub address: String,
    pub forge: Forge,
    /// The forge's host (`github.com`).
    pub instance: String,
    /// The forge's name for it (`rust-lang`, `gitlab-org`).
    pub login: String,
    pub name: Option<String>,
    pub kind: OwnerKind,
    /// When the forge was read for these numbers.
    pub read_at: DateTime<Utc>,
    /// It holds more repositories than the installation reads for one
    /// organisation: the numbers cover the first `repositories.total`.
    pub truncated: bool,
    pub numbers: Numbers,
    /// The repositories behind the numbers, most stars first.
    pub repositories: Vec<RepositoryFigures>,
}

/// One public repository and its figures; `null` where the forge has no
/// such number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepositoryFigures {
    pub name: String,
    /// Forked from another repository.
    pub fork: bool,
    pub stars: Option<u64>,
    pub watchers: Option<u64>,
    /// How many times it was forked.
    pub forks: Option<u64>,
    /// Its primary language.
    pub language: Option<String>,
    /// Bytes per language, when asked for and the forge gives them.
    pub language_bytes: Option<BTreeMap<String, u64>>,
    pub topics: Option<Vec<String>>,
}

/// How many public repositories, originals and forks apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepositoryCount {
    pub total: u64,
    pub originals: u64,
    /// Repositories that are forks of another.
    pub forks: u64,
}

/// The numbers of one organisation, or of several added up. A number a
/// forge does not have is `null`, with the reason in `unavailable`: never 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Numbers {
    pub repositories: RepositoryCount,
    /// Stars of the repositories, summed.
    pub stars: Option<u64>,
    /// People watching the repositories (subscribed to their activity), summed.
    pub watchers: Option<u64>,
    /// How many times the repositories were forked, summed.
    pub forks: Option<u64>,
    /// People following the organisation itself.
    pub followers: Option<u64>,
    /// Repositories per primary language.
    pub languages: BTreeMap<String, u64>,
    /// Bytes of code per language, from each repository's breakdown; only
    /// when asked for (`languages=bytes`).
    pub language_bytes: Option<BTreeMap<String, u64>>,
    /// Repositories per topic.
    pub topics: Option<BTreeMap<String, u64>>,
    /// Why a number above is `null` (or, in a total, whose numbers it lacks).
    pub unavailable: BTreeMap<String, String>,
}

/// What `POST /api/v1/health-check` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthCheckRequest {
    /// Organisations' addresses (`https://github.com/rust-lang`) or
    /// `forge:name` (`gitlab:gitlab-org`).
    pub urls: Vec<String>,
    #[serde(default)]
    pub languages: LanguageDetail,
}

/// Which language figures a check reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LanguageDetail {
    /// Each repository's primary language.
    #[default]
    Primary,
    /// Also bytes per language, one more request per repository.
    Bytes,
}

impl LanguageDetail {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "primary" | "" => Some(Self::Primary),
            "bytes" => Some(Self::Bytes),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Bytes => "bytes",
        }
    }
}

impl Numbers {
    /// Adds `other` in: counts summed, maps merged key by key. A number
    /// one side lacks stays out of the sum, and the total says whose.
    pub fn add(&mut self, other: &Numbers, whose: &str) {
        self.repositories.total += other.repositories.total;
        self.repositories.originals += other.repositories.originals;
        self.repositories.forks += other.repositories.forks;
        for (field, mine, theirs) in [
            ("stars", &mut self.stars, other.stars),
            ("watchers", &mut self.watchers, other.watchers),
            ("forks", &mut self.forks, other.forks),
            ("followers", &mut self.followers, other.followers),
        ] {
            match theirs {
                Some(n) => *mine = Some(mine.unwrap_or(0) + n),
                None => note_lacking(&mut self.unavailable, field, whose),
            }
        }
        merge_counts(&mut self.languages, &other.languages);
        for (field, mine, theirs) in [
            (
                "language_bytes",
                &mut self.language_bytes,
                &other.language_bytes,
            ),
            ("topics", &mut self.topics, &other.topics),
        ] {
            match theirs {
                Some(counts) => merge_counts(mine.get_or_insert_with(BTreeMap::new), counts),
                None => note_lacking(&mut self.unavailable, field, whose),
            }
        }
    }
}

fn merge_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (key, n) in from {
        *into.entry(key.clone()).or_default() += n;
    }
}

fn note_lacking(unavailable: &mut BTreeMap<String, String>, field: &str, whose: &str) {
    let note = unavailable
        .entry(field.to_owned())
        .or_insert_with(|| "leaves out".to_owned());
    let separator = if note.ends_with("leaves out") {
        " "
    } else {
        ", "
    };
    note.push_str(separator);
    note.push_str(whose);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(stars: Option<u64>, languages: &[(&str, u64)]) -> Numbers {
        Numbers {
            repositories: RepositoryCount {
                total: 3,
                originals: 2,
                forks: 1,
            },
            stars,
            languages: languages
                .iter()
                .map(|(k, n)| ((*k).to_owned(), *n))
                .collect(),
            topics: Some(BTreeMap::from([("cli".to_owned(), 1)])),
            ..Numbers::default()
        }
    }

    #[test]
    fn a_total_sums_what_each_has_and_names_who_lacks_a_number() {
        let mut total = Numbers::default();
        total.add(&numbers(Some(5), &[("Rust", 2)]), "github.com/a");
        total.add(&numbers(None, &[("Rust", 1), ("Go", 1)]), "bitbucket.org/b");
        total.add(&numbers(Some(7), &[]), "github.com/c");
        assert_eq!(total.repositories.total, 9);
        assert_eq!(total.repositories.forks, 3);
        assert_eq!(total.stars, Some(12));
        assert_eq!(total.languages["Rust"], 3);
        assert_eq!(total.languages["Go"], 1);
        assert_eq!(total.topics.as_ref().unwrap()["cli"], 3);
        assert_eq!(total.unavailable["stars"], "leaves out bitbucket.org/b");
        assert_eq!(
            total.unavailable["watchers"],
            "leaves out github.com/a, bitbucket.org/b, github.com/c"
        );
        assert_eq!(total.watchers, None, "no one had it: null, not 0");
    }
}
