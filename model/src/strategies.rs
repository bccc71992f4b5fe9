//! Generators of well-formed values for the property tests: what a
//! visitor could write and what Tally itself writes back.

use chrono::NaiveDate;
use proptest::prelude::*;

use crate::forge::Forge;
use crate::query::{AccountSpec, PersonSpec};

/// A username each forge accepts.
pub fn username_for(forge: Forge) -> BoxedStrategy<String> {
    match forge {
        Forge::GitHub => "[a-zA-Z0-9]([a-zA-Z0-9]|-[a-zA-Z0-9]){0,18}".boxed(),
        Forge::GitLab => "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,30}".boxed(),
        Forge::Bitbucket => "([a-z0-9_-]{1,20}|[0-9]{6}:[a-f0-9-]{8,36})".boxed(),
        Forge::Gerrit => "[a-zA-Z0-9._@-]{1,30}".boxed(),
        Forge::Phabricator => "[a-zA-Z0-9_.-]{1,30}".boxed(),
    }
}

/// A host name, with or without a port.
pub fn instance() -> impl Strategy<Value = String> {
    let host = "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,3}";
    (host, proptest::option::of(1u16..)).prop_map(|(host, port)| match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

pub fn account_spec() -> impl Strategy<Value = AccountSpec> {
    (
        proptest::sample::select(Forge::ALL.to_vec()),
        proptest::option::of(instance()),
    )
        .prop_flat_map(|(forge, instance)| {
            username_for(forge).prop_map(move |username| AccountSpec {
                forge,
                instance: instance.clone(),
                username,
            })
        })
        // The one reading the grammar cannot tell (see `AccountSpec::parse`).
        .prop_filter(
            "a port-less instance before a Bitbucket account id",
            |spec| {
                !(spec.forge == Forge::Bitbucket
                    && spec.instance.as_deref().is_some_and(|i| !i.contains(':'))
                    && spec.username.contains(':'))
            },
        )
}

/// A person as the people field holds one: a name (any text but the `=`
/// that ends it and line breaks, trimmed) or none, and 1 to 4 accounts.
pub fn person_spec() -> impl Strategy<Value = PersonSpec> {
    let name = "[^=\\r\\n\\u{85}\\u{2028}\\u{2029}]{1,24}"
        .prop_map(|n| n.trim().to_owned())
        .prop_filter("a name with some text", |n| !n.is_empty());
    (
        proptest::option::of(name),
        proptest::collection::vec(account_spec(), 1..4),
    )
        .prop_map(|(name, accounts)| PersonSpec { name, accounts })
}

/// A day of the years Tally works in ([`crate::period::YEARS`]), a tenth
/// of them in the fortnights at either end, where calendars break.
pub fn day() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(*crate::period::YEARS.start(), 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(*crate::period::YEARS.end(), 12, 31).unwrap_or_default();
    let days = (last - first).num_days();
    prop_oneof![
        9 => (0..=days).prop_map(move |n| first + chrono::Duration::days(n)),
        1 => (0..14i64).prop_map(move |n| first + chrono::Duration::days(n)),
        1 => (0..14i64).prop_map(move |n| last - chrono::Duration::days(n)),
    ]
}

/// One line of text a form may send, trimmed and not empty.
pub fn line() -> impl Strategy<Value = String> {
    "[^\\r\\n\\u{85}\\u{2028}\\u{2029}]{1,30}"
        .prop_map(|l| l.trim().to_owned())
        .prop_filter("a line with some text", |l| !l.is_empty())
}
