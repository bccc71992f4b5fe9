//! Gerrit's change query language (`user-search.txt`), the part Tally uses:
//! terms joined by spaces (AND), each optionally negated with `-`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::world::{Account, ChangeRequest, Forge, Id, Status, World};

/// One `operator:value` term.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Owner(Id),
    Reviewer(Id),
    Status(Vec<Status>),
    /// `after:`/`since:` and `before:`/`until:` compare the last update, inclusively.
    UpdatedAfter(DateTime<Utc>),
    UpdatedBefore(DateTime<Utc>),
    Project(String),
    Number(u32),
    Limit(usize),
    Not(Box<Term>),
}

/// A parsed query. Errors are the message of Gerrit's 400.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeQuery {
    terms: Vec<Term>,
}

impl ChangeQuery {
    /// `me` is the authenticated caller, which `self` stands for.
    pub fn parse(text: &str, world: &World, me: Option<Id>) -> Result<Self, String> {
        let terms = words(text)?
            .into_iter()
            .map(|word| term(&word, world, me))
            .collect::<Result<_, _>>()?;
        Ok(Self { terms })
    }

    /// The `limit:` operator, if given.
    pub fn limit(&self) -> Option<usize> {
        self.terms.iter().find_map(|t| match t {
            Term::Limit(n) => Some(*n),
            _ => None,
        })
    }

    pub fn matches(&self, world: &World, change: &ChangeRequest) -> bool {
        self.terms.iter().all(|t| holds(t, world, change))
    }
}

fn holds(term: &Term, world: &World, change: &ChangeRequest) -> bool {
    match term {
        Term::Owner(id) => change.author == *id,
        Term::Reviewer(id) => change.reviews.iter().any(|r| r.reviewer == *id),
        Term::Status(statuses) => statuses.contains(&change.status),
        Term::UpdatedAfter(t) => change.updated_at >= *t,
        Term::UpdatedBefore(t) => change.updated_at <= *t,
        Term::Project(name) => world.repo(change.repo).name == *name,
        Term::Number(n) => change.number == *n,
        Term::Limit(_) => true,
        Term::Not(inner) => !holds(inner, world, change),
    }
}

/// Splits on spaces outside quotes; quotes are removed.
fn words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("line 1:{} mismatched input", text.len()));
    }
    if !current.is_empty() {
        words.push(current);
    }
    Ok(words)
}

fn term(word: &str, world: &World, me: Option<Id>) -> Result<Term, String> {
    if let Some(rest) = word.strip_prefix('-') {
        return Ok(Term::Not(Box::new(term(rest, world, me)?)));
    }
    if matches!(word, "OR" | "AND" | "NOT") || word.contains('(') {
        return Err(format!(
            "Unsupported query: the simulator understands AND-ed terms only, not {word:?}"
        ));
    }
    let Some((operator, value)) = word.split_once(':') else {
        return Err(format!("Unsupported query: {word}"));
    };
    let unsupported = || format!("Unsupported operator {operator}:{value}");
    Ok(match operator {
        "owner" | "o" => Term::Owner(account(world, value, me)?),
        "reviewer" | "r" => Term::Reviewer(account(world, value, me)?),
        "status" | "is" => Term::Status(statuses(value).ok_or_else(unsupported)?),
        "after" | "since" => Term::UpdatedAfter(time(value)?),
        "before" | "until" => Term::UpdatedBefore(time(value)?),
        "project" | "p" => Term::Project(value.to_owned()),
        "change" => Term::Number(value.parse().map_err(|_| unsupported())?),
        "limit" => Term::Limit(
            value
                .parse()
                .map_err(|_| format!("Invalid limit: {value}"))?,
        ),
        _ => return Err(unsupported()),
    })
}

fn statuses(value: &str) -> Option<Vec<Status>> {
    Some(match value {
        "open" | "pending" | "new" => vec![Status::Open],
        "merged" => vec![Status::Merged],
        "abandoned" => vec![Status::Abandoned],
        "closed" => vec![Status::Merged, Status::Abandoned],
        _ => return None,
    })
}

/// An account by `self`, numeric id, username, email or full name.
fn account(world: &World, value: &str, me: Option<Id>) -> Result<Id, String> {
    if value == "self" {
        return me.ok_or_else(|| "Must be signed-in to use owner:self".to_owned());
    }
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::Gerrit)
        .find(|a| answers_to(a, value))
        .map(|a| a.id)
        .ok_or_else(|| format!("Account '{value}' not found"))
}

/// Whether an account is the one a query or URL names.
pub fn answers_to(account: &Account, value: &str) -> bool {
    value.parse::<u64>().ok() == Some(super::shapes::account_number(account.id))
        || account.username == value
        || account.email.eq_ignore_ascii_case(value)
        || account.display_name == value
}

/// `2006-01-02[ 15:04:05[.890][ -0700]]`, UTC unless an offset is given.
pub fn time(value: &str) -> Result<DateTime<Utc>, String> {
    let (local, offset) = match value.rsplit_once(' ') {
        Some((rest, zone)) if zone.starts_with(['+', '-']) && zone.len() == 5 => (rest, Some(zone)),
        _ => (value, None),
    };
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| {
            NaiveDate::parse_from_str(local, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
        })
        .map_err(|_| format!("Unrecognized date value: {value}"))?;
    let Some(zone) = offset else {
        return Ok(naive.and_utc());
    };
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    // `get`, not indexing: a zone of five bytes may still hold a wide character.
    let number = |range: std::ops::Range<usize>| -> Result<i64, String> {
        zone.get(range)
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| format!("Unrecognized date value: {value}"))
    };
    let (hours, minutes) = (number(1..3)?, number(3..5)?);
    Ok(naive.and_utc() - chrono::Duration::minutes(sign * (hours * 60 + minutes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn a_time_as_gerrit_writes_it_reads_as_that_instant(
            seconds in 0i64..253_402_300_799,
            millis in 0u32..1000,
            offset_minutes in -(14 * 60)..=(14 * 60),
        ) {
            let at = DateTime::from_timestamp(seconds, millis * 1_000_000).unwrap();
            let zone = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let written = at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S%.3f %z").to_string();
            proptest::prop_assert_eq!(time(&written), Ok(at), "{}", written);
        }

        #[test]
        fn no_query_makes_the_parser_panic(
            text in "\\PC{0,60}|([a-z-]{1,9}:[\"' +0-9a-z:.-]{0,24} ){0,4}|after:\"2024-01-01 10:00:00 [+-][0-9é]{2,4}\"",
        ) {
            let world = World::default();
            if let Ok(query) = ChangeQuery::parse(&text, &world, None) {
                let _ = query.limit();
            }
        }
    }
    use chrono::TimeZone;

    #[test]
    fn times_take_gerrits_formats_and_offsets() {
        let utc = |h, m| Utc.with_ymd_and_hms(2024, 1, 2, h, m, 0).unwrap();
        assert_eq!(time("2024-01-02").unwrap(), utc(0, 0));
        assert_eq!(time("2024-01-02 10:30:00").unwrap(), utc(10, 30));
        assert_eq!(time("2024-01-02 10:30:00.000 +0130").unwrap(), utc(9, 0));
        assert!(time("02/01/2024").is_err());
    }

    #[test]
    fn quoted_values_keep_their_spaces() {
        assert_eq!(
            words("owner:alice after:\"2024-01-01 10:00:00\" -is:merged").unwrap(),
            vec!["owner:alice", "after:2024-01-01 10:00:00", "-is:merged"]
        );
        assert!(words("after:\"2024").is_err());
    }
}
