//! A contribution query as people write it and as Tally stores it: who
//! (people and their forge accounts), when (UTC days), and which items.
//! [`QuerySpec::normalized`] makes equal questions equal, and
//! [`QuerySpec::hash`] names them with a short id for `/q/<hash>`.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contribution::{ContributionKind, Status};
use crate::forge::Forge;

/// Default bounds; installations may configure others.
pub const MAX_IDENTITIES: usize = 50;
pub const MAX_YEARS: u32 = 10;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl AccountSpec {
    /// Reads `forge:username` or `forge@instance:username`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (head, username) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not `forge:username` (e.g. github:octocat)"))?;
        let (forge_key, instance) = match head.split_once('@') {
            Some((forge, instance)) => (forge, Some(instance.trim().to_owned())),
            None => (head, None),
        };
        let forge = Forge::from_key(forge_key.trim()).ok_or_else(|| {
            format!(
                "`{forge_key}` is not a forge; use github, gitlab, bitbucket, gerrit or phabricator"
            )
        })?;
        if instance.as_deref().is_some_and(|i| {
            i.is_empty()
                || !i
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        }) {
            return Err(format!(
                "`{}` is not a host name",
                instance.unwrap_or_default()
            ));
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
    pub fn hash(&self) -> String {
        let canonical = serde_json::to_vec(&self.normalized()).unwrap_or_default();
        let digest = Sha256::digest(&canonical);
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits: u128 = 0;
        for byte in digest.iter().take(9) {
            bits = (bits << 8) | u128::from(*byte);
        }
        (0..11)
            .map(|i| char::from(ALPHABET[((bits >> (66 - 6 * (i + 1))) & 63) as usize]))
            .collect()
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

/// The query form's fields, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryForm {
    /// One person per line: `Name = github:octocat gitlab:jdoe`, or just the accounts.
    pub people: String,
    pub from: String,
    pub to: String,
    /// Kind names (`commit`, `review`, …); none means all.
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub statuses: Vec<String>,
    /// Repositories, separated by commas, spaces or new lines.
    #[serde(default)]
    pub include_repos: String,
    #[serde(default)]
    pub exclude_repos: String,
}

fn parse_enum<T: serde::de::DeserializeOwned>(field: &str, name: &str) -> Result<T, QueryError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| problem(field, format!("`{name}` is not one of the choices")))
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The people field: one person per line, an optional name and `=`, then
/// accounts. Also run in the browser as the field is typed in.
pub fn parse_people(text: &str) -> Result<Vec<PersonSpec>, QueryError> {
    let mut people = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (name, accounts) = match line.split_once('=') {
            Some((name, rest)) => (Some(name.trim().to_owned()).filter(|n| !n.is_empty()), rest),
            None => (None, line),
        };
        let accounts = words(accounts)
            .iter()
            .map(|a| {
                AccountSpec::parse(a).map_err(|m| problem("people", format!("line {}: {m}", n + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if accounts.is_empty() {
            return Err(problem(
                "people",
                format!("line {}: no accounts (e.g. github:octocat)", n + 1),
            ));
        }
        people.push(PersonSpec { name, accounts });
    }
    Ok(people)
}

impl QueryForm {
    /// The spec the form describes, or the first problem, naming its field.
    pub fn spec(&self) -> Result<QuerySpec, QueryError> {
        let people = parse_people(&self.people)?;
        let date = |field: &str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| problem(field, format!("`{text}` is not a date (YYYY-MM-DD)")))
        };
        Ok(QuerySpec {
            people,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            kinds: self
                .kinds
                .iter()
                .map(|k| parse_enum("kinds", k))
                .collect::<Result<_, _>>()?,
            statuses: self
                .statuses
                .iter()
                .map(|s| parse_enum("statuses", s))
                .collect::<Result<_, _>>()?,
            include_repos: words(&self.include_repos),
            exclude_repos: words(&self.exclude_repos),
        })
    }

    /// The form showing a spec, for editing it.
    pub fn of(spec: &QuerySpec) -> Self {
        let people = spec
            .people
            .iter()
            .map(|p| {
                let accounts: Vec<String> = p.accounts.iter().map(ToString::to_string).collect();
                match &p.name {
                    Some(name) => format!("{name} = {}", accounts.join(" ")),
                    None => accounts.join(" "),
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let name = |v: serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_default();
        Self {
            people,
            from: spec.from.to_string(),
            to: spec.to.to_string(),
            kinds: spec
                .kinds
                .iter()
                .filter_map(|k| serde_json::to_value(k).ok())
                .map(name)
                .collect(),
            statuses: spec
                .statuses
                .iter()
                .filter_map(|s| serde_json::to_value(s).ok())
                .map(name)
                .collect(),
            include_repos: spec.include_repos.join(", "),
            exclude_repos: spec.exclude_repos.join(", "),
        }
    }
}

/// Whether text could be a query hash (so anything else is a 404 at once).
pub fn is_hash(text: &str) -> bool {
    text.len() == 11
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(is_hash(&a.hash()), "{}", a.hash());
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
    fn the_form_reads_people_per_line_and_round_trips() {
        let form = QueryForm {
            people: "Octo Cat = github:octocat, gitlab:ocat\n\ngerrit@review.example.org:jdoe\n"
                .into(),
            from: "2025-01-01".into(),
            to: "2025-12-31".into(),
            kinds: vec!["commit".into(), "review".into()],
            statuses: vec![],
            include_repos: "a/b, c/d".into(),
            exclude_repos: String::new(),
        };
        let spec = form.spec().unwrap();
        assert_eq!(spec.people.len(), 2);
        assert_eq!(spec.people[0].name.as_deref(), Some("Octo Cat"));
        assert_eq!(spec.people[0].accounts.len(), 2);
        assert_eq!(spec.include_repos, vec!["a/b", "c/d"]);
        assert_eq!(QueryForm::of(&spec).spec().unwrap(), spec);
        let bad = QueryForm {
            people: "github:ok\nnonsense".into(),
            ..form.clone()
        };
        let error = bad.spec().unwrap_err();
        assert_eq!(error.field, "people");
        assert!(error.message.starts_with("line 2:"), "{error}");
        let bad_kind = QueryForm {
            kinds: vec!["stars".into()],
            ..form.clone()
        };
        assert_eq!(bad_kind.spec().unwrap_err().field, "kinds");
        let bad_date = QueryForm {
            from: "yesterday".into(),
            ..form
        };
        assert_eq!(bad_date.spec().unwrap_err().field, "from");
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

/// How a fetch under way is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchProgress {
    /// Requests sent so far.
    pub requests: u64,
    /// What the forge last said is left of its rate-limit budget.
    pub budget_left: Option<u64>,
    /// Set while the fetch waits for the forge's rate limit to renew.
    pub waiting_until: Option<DateTime<Utc>>,
}

/// What the cache holds for one account of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub account: AccountSpec,
    /// `ok`, `not_found`, `failed` or `unknown` (not fetched yet).
    pub state: String,
    pub problem: Option<String>,
    /// Set while the account is being fetched.
    pub progress: Option<FetchProgress>,
    pub by_kind: Vec<(ContributionKind, u64)>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub name: String,
    pub accounts: Vec<AccountSummary>,
    pub by_kind: Vec<(ContributionKind, u64)>,
    pub total: u64,
}

/// The tallies of a query: per person and account, and overall, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub hash: String,
    pub spec: QuerySpec,
    /// Accounts are being fetched right now; the numbers will grow.
    pub fetching: bool,
    pub people: Vec<PersonSummary>,
    pub by_kind: Vec<(ContributionKind, u64)>,
    pub total: u64,
}

/// One item of the list, with the person it counts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedContribution {
    /// Index into [`QuerySpec::people`] (normalized order).
    pub person: usize,
    pub contribution: crate::contribution::Contribution,
}

/// The items of one day or week of a query: how many in all (the same
/// count the graphs show), and a page of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodItems {
    /// The period's days inside the query's range, inclusive.
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub total: u64,
    pub page: ContributionPage,
}

/// A page of the newest-first list; `next` continues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionPage {
    pub items: Vec<ListedContribution>,
    pub next: Option<String>,
}
