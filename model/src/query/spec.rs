//! The query itself: who, when and which items, its checks, and the
//! canonical form that names it.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{QueryError, QueryHash, problem};
use crate::contribution::{ContributionKind, Status};
use crate::forge::Forge;

/// One account: `github:octocat`, or with an instance
/// `gerrit@review.example.org:jdoe`. Without an instance, the forge's
/// public service or the installation's configured instance is meant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountSpec {
    pub forge: Forge,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub accounts: Vec<AccountSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerySpec {
    pub people: Vec<PersonSpec>,
    /// First and last UTC day, inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Kinds to show; empty means all.
    #[serde(default)]
    pub kinds: Vec<ContributionKind>,
    /// Statuses to show; empty means all (items without a status always show).
    #[serde(default)]
    pub statuses: Vec<Status>,
    /// Repositories to keep (empty: all) and to leave out.
    #[serde(default)]
    pub include_repos: Vec<String>,
    #[serde(default)]
    pub exclude_repos: Vec<String>,
}

impl AccountSpec {
    /// Reads `forge:username` or `forge@instance:username`, where the
    /// instance is a host name with an optional `:port`
    /// (`gerrit@review.example.org:8443:jdoe`). A port is the digits
    /// between the host and the next colon, so after a port-less instance a
    /// Bitbucket account id (`557058:…`) reads as a port: write such an
    /// instance with its port.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let shape = || format!("`{text}` is not `forge:username` (e.g. github:octocat)");
        let split = text.find([':', '@']).ok_or_else(shape)?;
        let (forge_key, rest) = text.split_at(split);
        let (instance, username) = match rest.strip_prefix('@') {
            Some(place) => {
                let (host, after) = place.split_once(':').ok_or_else(shape)?;
                match after.split_once(':') {
                    Some((port, username))
                        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        (Some(format!("{}:{port}", host.trim())), username)
                    }
                    _ => (Some(host.trim().to_owned()), after),
                }
            }
            None => (None, &rest[1..]),
        };
        let forge = Forge::from_key(forge_key.trim()).ok_or_else(|| {
            format!(
                "`{forge_key}` is not a forge; use github, gitlab, bitbucket, gerrit or phabricator"
            )
        })?;
        if let Some(instance) = &instance {
            let (host, port) = instance.split_once(':').unwrap_or((instance, "1"));
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c));
            if !host_ok || port.parse::<u16>().is_err() {
                return Err(format!(
                    "`{instance}` is not a host name (with an optional :port)"
                ));
            }
        }
        let username = username.trim().to_owned();
        forge.check_username(&username)?;
        Ok(Self {
            forge,
            instance,
            username,
        })
    }

    fn normalized(&self) -> Self {
        let username = if self.forge.case_insensitive_usernames() {
            self.username.to_lowercase()
        } else {
            self.username.clone()
        };
        Self {
            forge: self.forge,
            instance: self.instance.as_ref().map(|i| i.to_lowercase()),
            username,
        }
    }
}

impl fmt::Display for AccountSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.instance {
            Some(instance) => write!(f, "{}@{instance}:{}", self.forge.key(), self.username),
            None => write!(f, "{}:{}", self.forge.key(), self.username),
        }
    }
}

/// One line of the people field: `Name = github:octocat gitlab:jdoe`, or
/// just the accounts.
impl fmt::Display for PersonSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.name {
            write!(f, "{name} = ")?;
        }
        let accounts: Vec<String> = self.accounts.iter().map(ToString::to_string).collect();
        f.write_str(&accounts.join(" "))
    }
}

fn sorted_unique<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

impl QuerySpec {
    /// Checks the bounds and every field, naming the first problem.
    pub fn validate(&self, max_identities: usize, max_years: u32) -> Result<(), QueryError> {
        if self.people.is_empty() {
            return Err(problem("people", "add at least one person"));
        }
        for (i, person) in self.people.iter().enumerate() {
            if person.accounts.is_empty() {
                return Err(problem(
                    format!("people[{i}].accounts"),
                    "add at least one account",
                ));
            }
            if person
                .name
                .as_ref()
                .is_some_and(|n| n.chars().count() > 100)
            {
                return Err(problem(
                    format!("people[{i}].name"),
                    "at most 100 characters",
                ));
            }
            for (j, account) in person.accounts.iter().enumerate() {
                account
                    .forge
                    .check_username(&account.username)
                    .map_err(|m| problem(format!("people[{i}].accounts[{j}]"), m))?;
            }
        }
        let identities = self.people.iter().map(|p| p.accounts.len()).sum::<usize>();
        if identities > max_identities {
            return Err(problem(
                "people",
                format!("{identities} accounts; a query may hold at most {max_identities}"),
            ));
        }
        if self.from > self.to {
            return Err(problem(
                "from",
                format!("{} is after the end, {}", self.from, self.to),
            ));
        }
        let longest = self
            .from
            .checked_add_months(chrono::Months::new(12 * max_years))
            .unwrap_or(NaiveDate::MAX);
        if self.to >= longest {
            return Err(problem(
                "to",
                format!("the range may span at most {max_years} years"),
            ));
        }
        for (field, repos) in [
            ("include_repos", &self.include_repos),
            ("exclude_repos", &self.exclude_repos),
        ] {
            if let Some(bad) = repos.iter().find(|r| r.trim().is_empty() || r.len() > 300) {
                return Err(problem(field, format!("`{bad}` is not a repository name")));
            }
        }
        Ok(())
    }

    /// The same question in one canonical form: people and their accounts
    /// sorted and de-duplicated, usernames case-folded where the forge
    /// ignores case, filters sorted.
    pub fn normalized(&self) -> Self {
        let mut people: Vec<PersonSpec> = self
            .people
            .iter()
            .map(|p| PersonSpec {
                name: p
                    .name
                    .as_ref()
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty()),
                accounts: sorted_unique(p.accounts.iter().map(AccountSpec::normalized).collect()),
            })
            .collect();
        people.sort_by(|a, b| {
            a.accounts
                .cmp(&b.accounts)
                .then_with(|| a.name.cmp(&b.name))
        });
        people.dedup();
        let folded = |repos: &[String]| {
            sorted_unique(repos.iter().map(|r| r.trim().to_lowercase()).collect())
        };
        Self {
            people,
            from: self.from,
            to: self.to,
            kinds: sorted_unique(self.kinds.clone()),
            statuses: sorted_unique(self.statuses.clone()),
            include_repos: folded(&self.include_repos),
            exclude_repos: folded(&self.exclude_repos),
        }
    }

    /// A short, URL-safe name for the normalized query: 11 characters of
    /// base64url over SHA-256 of its canonical JSON (66 bits).
    pub fn hash(&self) -> QueryHash {
        let canonical = serde_json::to_vec(&self.normalized()).unwrap_or_default();
        QueryHash::of_digest(&Sha256::digest(&canonical))
    }

    /// Every account of the query, once.
    pub fn accounts(&self) -> Vec<AccountSpec> {
        sorted_unique(
            self.people
                .iter()
                .flat_map(|p| p.accounts.iter().cloned())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{MAX_IDENTITIES, MAX_YEARS, is_hash};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn spec(people: Vec<Vec<&str>>) -> QuerySpec {
        QuerySpec {
            people: people
                .into_iter()
                .map(|accounts| PersonSpec {
                    name: None,
                    accounts: accounts
                        .into_iter()
                        .map(|a| AccountSpec::parse(a).unwrap())
                        .collect(),
                })
                .collect(),
            from: day("2025-01-01"),
            to: day("2025-12-31"),
            kinds: vec![],
            statuses: vec![],
            include_repos: vec![],
            exclude_repos: vec![],
        }
    }

    #[test]
    fn order_case_and_duplicates_do_not_change_the_hash() {
        let a = spec(vec![
            vec!["github:Octocat", "gitlab:jdoe"],
            vec!["gerrit@review.example.org:Ann"],
        ]);
        let b = spec(vec![
            vec!["gerrit@Review.Example.org:Ann"],
            vec!["gitlab:JDoe", "github:octocat", "github:OCTOCAT"],
        ]);
        assert_eq!(a.hash(), b.hash());
        assert!(is_hash(a.hash().as_str()), "{}", a.hash());
        // Gerrit usernames keep their case, so this is another person.
        let c = spec(vec![
            vec!["github:Octocat", "gitlab:jdoe"],
            vec!["gerrit@review.example.org:ann"],
        ]);
        assert_ne!(a.hash(), c.hash());
        let mut later = a.clone();
        later.to = day("2026-01-01");
        assert_ne!(a.hash(), later.hash());
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn an_account_spec_reads_back_what_it_displays(spec in crate::strategies::account_spec()) {
            proptest::prop_assert_eq!(AccountSpec::parse(&spec.to_string()), Ok(spec.clone()));
            let normal = spec.normalized();
            proptest::prop_assert_eq!(normal.normalized(), normal.clone());
            proptest::prop_assert_eq!(AccountSpec::parse(&normal.to_string()).map(|s| s.normalized()), Ok(normal));
        }

        #[test]
        fn no_text_makes_parsing_panic(text in "\\PC{0,60}") {
            let _ = AccountSpec::parse(&text);
        }
    }

    #[test]
    fn an_instance_with_a_port_reads_back() {
        let spec = AccountSpec::parse("gerrit@review.example.org:8443:jdoe").unwrap();
        assert_eq!(spec.instance.as_deref(), Some("review.example.org:8443"));
        assert_eq!(spec.username, "jdoe");
        assert_eq!(spec.to_string(), "gerrit@review.example.org:8443:jdoe");
        let bitbucket = AccountSpec::parse("bitbucket@bb.example:443:557058:ab-12").unwrap();
        assert_eq!(bitbucket.username, "557058:ab-12");
        assert!(AccountSpec::parse("gerrit@host:99999:jdoe").is_err());
    }

    #[test]
    fn account_specs_are_read_and_refused_with_reasons() {
        let parsed = AccountSpec::parse("phabricator@secure.phabricator.com:epriestley").unwrap();
        assert_eq!(parsed.forge, Forge::Phabricator);
        assert_eq!(parsed.instance.as_deref(), Some("secure.phabricator.com"));
        assert_eq!(
            parsed.to_string(),
            "phabricator@secure.phabricator.com:epriestley"
        );
        assert!(
            AccountSpec::parse("octocat")
                .unwrap_err()
                .contains("forge:username")
        );
        assert!(
            AccountSpec::parse("sourceforge:x")
                .unwrap_err()
                .contains("not a forge")
        );
        assert!(
            AccountSpec::parse("github:-bad-")
                .unwrap_err()
                .contains("GitHub usernames")
        );
        assert!(AccountSpec::parse("github:a--b").is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let mut too_long = spec(vec![vec!["github:octocat"]]);
        too_long.to = day("2035-01-01");
        assert_eq!(
            too_long
                .validate(MAX_IDENTITIES, MAX_YEARS)
                .unwrap_err()
                .field,
            "to"
        );
        let mut backwards = spec(vec![vec!["github:octocat"]]);
        backwards.from = day("2026-01-01");
        assert_eq!(
            backwards
                .validate(MAX_IDENTITIES, MAX_YEARS)
                .unwrap_err()
                .field,
            "from"
        );
        let crowd = spec((0..51).map(|_| vec!["github:octocat"]).collect());
        let error = crowd.validate(MAX_IDENTITIES, MAX_YEARS).unwrap_err();
        assert_eq!(error.field, "people");
        assert!(error.message.contains("at most 50"));
        assert!(
            spec(vec![vec!["github:octocat"]])
                .validate(MAX_IDENTITIES, MAX_YEARS)
                .is_ok()
        );
    }
}
