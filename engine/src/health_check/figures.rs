//! What a forge says of an organisation and its repositories, in one shape
//! for every forge, and how those figures add up to [`Numbers`].

use std::collections::BTreeMap;

use model::forge::Forge;
use model::health_check::{Numbers, OwnerKind, RepositoryCount};
use serde::{Deserialize, Serialize};

/// One organisation as its forge describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationFigures {
    pub kind: OwnerKind,
    /// The forge's spelling of the name.
    pub login: String,
    pub name: Option<String>,
    /// `None` where the forge has no followers for it.
    pub followers: Option<u64>,
    pub repositories: Vec<RepositoryFigures>,
    /// More repositories exist than were read.
    pub truncated: bool,
}

/// One public repository's figures, as the answer lists them.
pub use model::health_check::RepositoryFigures;

/// Why a forge lacks a number, for `unavailable`.
fn lacking(forge: Forge, field: &str) -> String {
    let name = forge.name();
    match field {
        "stars" => format!("{name} has no stars"),
        "watchers" => format!("{name} does not count watchers"),
        "followers" => format!("{name} has no followers for organisations"),
        "topics" => format!("{name} has no topics"),
        "language_bytes" if forge == Forge::GitLab => {
            "GitLab gives languages as shares, not bytes".to_owned()
        }
        "language_bytes" => format!("{name} gives no bytes per language"),
        _ => format!("{name} does not give it"),
    }
}

/// The repository numbers `forge` does not have (followers are the
/// organisation's, and come with it or not).
fn lacks(forge: Forge) -> &'static [&'static str] {
    match forge {
        Forge::GitLab => &["watchers", "language_bytes"],
        Forge::Bitbucket => &["stars", "topics", "language_bytes"],
        _ => &[],
    }
}

/// Adds up one organisation's repositories. `bytes_asked` says whether
/// bytes per language were read; when not, the reason says how to ask.
pub fn numbers(forge: Forge, org: &OrganisationFigures, bytes_asked: bool) -> Numbers {
    let repos = &org.repositories;
    let forks = repos.iter().filter(|r| r.fork).count() as u64;
    let mut numbers = Numbers {
        repositories: RepositoryCount {
            total: repos.len() as u64,
            originals: repos.len() as u64 - forks,
            forks,
        },
        followers: org.followers,
        ..Numbers::default()
    };
    // A sum is known only when every repository has the number: one
    // missing would make it wrong, so it is null instead.
    let sum = |get: fn(&RepositoryFigures) -> Option<u64>| -> Option<u64> {
        repos.iter().map(get).sum::<Option<u64>>()
    };
    numbers.stars = sum(|r| r.stars);
    numbers.watchers = sum(|r| r.watchers);
    numbers.forks = sum(|r| r.forks);
    for language in repos.iter().filter_map(|r| r.language.as_deref()) {
        *numbers.languages.entry(language.to_owned()).or_default() += 1;
    }
    numbers.language_bytes = repos.iter().map(|r| r.language_bytes.as_ref()).try_fold(
        BTreeMap::new(),
        |mut total, bytes| {
            for (language, n) in bytes? {
                *total.entry(language.clone()).or_default() += n;
            }
            Some(total)
        },
    );
    numbers.topics =
        repos
            .iter()
            .map(|r| r.topics.as_ref())
            .try_fold(BTreeMap::new(), |mut total, topics| {
                for topic in topics? {
                    *total.entry(topic.clone()).or_default() += 1;
                }
                Some(total)
            });
    // With no repositories every sum is 0, even of numbers the forge lacks.
    for field in lacks(forge) {
        match *field {
            "stars" => numbers.stars = None,
            "watchers" => numbers.watchers = None,
            "topics" => numbers.topics = None,
            _ => numbers.language_bytes = None,
        }
    }
    for (field, missing) in [
        ("stars", numbers.stars.is_none()),
        ("watchers", numbers.watchers.is_none()),
        ("forks", numbers.forks.is_none()),
        ("followers", numbers.followers.is_none()),
        ("language_bytes", numbers.language_bytes.is_none()),
        ("topics", numbers.topics.is_none()),
    ] {
        if missing {
            let why = if field == "language_bytes" && !bytes_asked && forge == Forge::GitHub {
                "ask with languages=bytes".to_owned()
            } else {
                lacking(forge, field)
            };
            numbers.unavailable.insert(field.to_owned(), why);
        }
    }
    numbers
}

/// Languages as GitHub (linguist) spells them, for forges that give them in
/// lower case (Bitbucket), so one language is one key across forges.
const LANGUAGE_NAMES: &[&str] = &[
    "ActionScript",
    "Assembly",
    "C",
    "C#",
    "C++",
    "Clojure",
    "CoffeeScript",
    "CSS",
    "Dart",
    "Dockerfile",
    "Elixir",
    "Elm",
    "Erlang",
    "F#",
    "Go",
    "Groovy",
    "Haskell",
    "HTML",
    "Java",
    "JavaScript",
    "Julia",
    "Kotlin",
    "Lua",
    "Makefile",
    "MATLAB",
    "Nix",
    "Objective-C",
    "OCaml",
    "Perl",
    "PHP",
    "PowerShell",
    "Python",
    "R",
    "Ruby",
    "Rust",
    "Scala",
    "Shell",
    "SQL",
    "Swift",
    "TeX",
    "TypeScript",
    "Vim Script",
    "Vue",
    "Zig",
];

/// `language` spelled as GitHub spells it, where it is one Tally knows;
/// else as given.
pub fn language_name(language: &str) -> String {
    LANGUAGE_NAMES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(language))
        .map_or_else(|| language.to_owned(), |known| (*known).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(fork: bool, stars: Option<u64>, language: &str, topics: &[&str]) -> RepositoryFigures {
        RepositoryFigures {
            name: "r".into(),
            fork,
            stars,
            watchers: Some(2),
            forks: Some(1),
            language: Some(language.into()),
            language_bytes: None,
            topics: Some(topics.iter().map(|t| (*t).to_owned()).collect()),
        }
    }

    fn org(repositories: Vec<RepositoryFigures>) -> OrganisationFigures {
        OrganisationFigures {
            kind: OwnerKind::Organization,
            login: "o".into(),
            name: None,
            followers: Some(4),
            repositories,
            truncated: false,
        }
    }

    #[test]
    fn repositories_add_up_and_each_counts_once_per_language_and_topic() {
        let n = numbers(
            Forge::GitHub,
            &org(vec![
                repo(false, Some(3), "Rust", &["cli", "web"]),
                repo(true, Some(5), "Rust", &["cli"]),
                repo(false, Some(0), "Go", &[]),
            ]),
            false,
        );
        assert_eq!(
            (
                n.repositories.total,
                n.repositories.originals,
                n.repositories.forks
            ),
            (3, 2, 1)
        );
        assert_eq!(n.stars, Some(8));
        assert_eq!(n.watchers, Some(6));
        assert_eq!(n.forks, Some(3));
        assert_eq!(n.followers, Some(4));
        assert_eq!(
            n.languages,
            BTreeMap::from([("Go".into(), 1), ("Rust".into(), 2)])
        );
        assert_eq!(
            n.topics,
            Some(BTreeMap::from([("cli".into(), 2), ("web".into(), 1)]))
        );
        assert_eq!(n.unavailable["language_bytes"], "ask with languages=bytes");
    }

    #[test]
    fn a_number_one_repository_lacks_is_null_with_the_reason_never_a_smaller_sum() {
        let n = numbers(
            Forge::Bitbucket,
            &org(vec![
                repo(false, Some(3), "Rust", &[]),
                repo(false, None, "Go", &[]),
            ]),
            true,
        );
        assert_eq!(n.stars, None);
        assert_eq!(n.unavailable["stars"], "Bitbucket has no stars");
        let empty = numbers(Forge::GitHub, &org(Vec::new()), true);
        assert_eq!(empty.stars, Some(0), "no repositories: zero stars, known");
    }

    #[test]
    fn lower_case_languages_are_spelled_as_github_spells_them() {
        assert_eq!(language_name("c++"), "C++");
        assert_eq!(language_name("javascript"), "JavaScript");
        assert_eq!(language_name("Brainfuck"), "Brainfuck");
    }
}
