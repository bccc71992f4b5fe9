//! The query form's text fields, and how they read into a [`QuerySpec`].
//! Also run in the browser as the fields are typed in.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::wire::wire_name;

use super::{AccountSpec, PersonSpec, QueryError, QuerySpec, problem};

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
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            people,
            from: spec.from.to_string(),
            to: spec.to.to_string(),
            kinds: spec.kinds.iter().map(wire_name).collect(),
            statuses: spec.statuses.iter().map(wire_name).collect(),
            include_repos: spec.include_repos.join(", "),
            exclude_repos: spec.exclude_repos.join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn the_people_field_reads_back_what_it_shows(
            people in proptest::collection::vec(crate::strategies::person_spec(), 0..5),
        ) {
            let text = people.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
            proptest::prop_assert_eq!(parse_people(&text), Ok(people));
        }

        #[test]
        fn a_form_shows_the_query_it_reads_as(
            people in proptest::collection::vec(crate::strategies::person_spec(), 1..4),
            from in crate::strategies::day(),
            to in crate::strategies::day(),
            kinds in proptest::sample::subsequence(crate::contribution::ContributionKind::ALL.to_vec(), 0..4),
            statuses in proptest::sample::subsequence(crate::contribution::Status::ALL.to_vec(), 0..3),
            include_repos in proptest::collection::vec("[a-z0-9_.-]{1,12}/[a-z0-9_.-]{1,12}", 0..3),
        ) {
            let spec = QuerySpec { people, from, to, kinds, statuses, include_repos, exclude_repos: vec![] };
            proptest::prop_assert_eq!(QueryForm::of(&spec).spec(), Ok(spec));
        }

        #[test]
        fn no_people_field_makes_parsing_panic(text in "\\PC{0,120}") {
            if let Err(error) = parse_people(&text) {
                proptest::prop_assert_eq!(error.field, "people");
            }
        }
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
}
