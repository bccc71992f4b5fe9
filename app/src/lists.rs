//! Discovery's lists as `/api/v1` and the `/discover` page read them from
//! a query string: only the names a list takes (anything else is a 400
//! naming it), each value parsed with a 400 naming its parameter, and the
//! paging every list shares (`page_size` up to 100, an opaque `cursor`, an
//! allow-listed `ordering`). The API documents the same names (its test
//! checks that the two lists agree).

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use engine::store::Store;
use engine::store::discovery_list::{
    Cursor, DeveloperFilters, Developers, Order, Repositories, RepositoryFilters, Slice, SortKey,
};
use model::discovery::{Developer, Page, Repository};
use model::forge::Forge;

/// What developer lists take.
pub const DEVELOPER_PARAMS: [&str; 11] = [
    "forge",
    "search",
    "location",
    "company",
    "min_followers",
    "max_followers",
    "created_after",
    "created_before",
    "ordering",
    "page_size",
    "cursor",
];

/// What repository lists take.
pub const REPOSITORY_PARAMS: [&str; 13] = [
    "forge",
    "search",
    "language",
    "topic",
    "min_stars",
    "max_stars",
    "fork",
    "archived",
    "created_after",
    "created_before",
    "ordering",
    "page_size",
    "cursor",
];

/// A page of the developers in `scope` under `query`'s filters; links in
/// it start with `prefix` and the page's own address is `path`.
pub async fn developer_page(
    store: &Store,
    scope: Developers,
    query: Option<&str>,
    path: &str,
    prefix: &str,
) -> Result<Page<Developer>, AppError> {
    let params = Params::read(query, &DEVELOPER_PARAMS)?;
    let filters = DeveloperFilters {
        forge: params.forge("forge")?,
        search: params.text("search"),
        location: params.text("location"),
        company: params.text("company"),
        min_followers: params.number("min_followers")?,
        max_followers: params.number("max_followers")?,
        created_after: params.time("created_after")?,
        created_before: params.time("created_before")?,
    };
    let order = params.ordering(&SortKey::DEVELOPERS)?;
    let cursor = params.cursor()?;
    let slice = store
        .list_developers(
            scope,
            &filters,
            order,
            cursor.as_ref(),
            params.page_size()?,
            prefix,
        )
        .await?;
    Ok(params.page(path, slice))
}

/// A page of the repositories in `scope` under `query`'s filters.
pub async fn repository_page(
    store: &Store,
    scope: Repositories,
    query: Option<&str>,
    path: &str,
    prefix: &str,
) -> Result<Page<Repository>, AppError> {
    let params = Params::read(query, &REPOSITORY_PARAMS)?;
    let filters = RepositoryFilters {
        forge: params.forge("forge")?,
        search: params.text("search"),
        language: params.text("language"),
        topic: params.text("topic"),
        min_stars: params.number("min_stars")?,
        max_stars: params.number("max_stars")?,
        fork: params.flag("fork")?,
        archived: params.flag("archived")?,
        created_after: params.time("created_after")?,
        created_before: params.time("created_before")?,
    };
    let order = params.ordering(&SortKey::REPOSITORIES)?;
    let cursor = params.cursor()?;
    let slice = store
        .list_repositories(
            scope,
            &filters,
            order,
            cursor.as_ref(),
            params.page_size()?,
            prefix,
        )
        .await?;
    Ok(params.page(path, slice))
}

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// The parameters of one request, checked against what its resource takes.
pub struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    pub fn read(query: Option<&str>, allowed: &[&str]) -> Result<Self, AppError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|e| AppError::bad_request("query", e.to_string()))?;
        let mut values = BTreeMap::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                return Err(AppError::bad_request(
                    name.clone(),
                    format!(
                        "unknown parameter `{name}`; this list takes {}",
                        allowed.join(", ")
                    ),
                ));
            }
            if values.insert(name.clone(), value).is_some() {
                return Err(AppError::bad_request(name, "given more than once"));
            }
        }
        Ok(Self { values })
    }

    /// A text parameter; empty counts as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn parsed<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, AppError> {
        self.text(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| AppError::bad_request(name, format!("`{v}` is not {what}")))
            })
            .transpose()
    }

    pub fn number(&self, name: &str) -> Result<Option<u64>, AppError> {
        self.parsed(name, "a whole number")
    }

    pub fn flag(&self, name: &str) -> Result<Option<bool>, AppError> {
        self.parsed(name, "true or false")
    }

    pub fn forge(&self, name: &str) -> Result<Option<Forge>, AppError> {
        self.text(name)
            .map(|v| {
                Forge::from_key(&v).ok_or_else(|| {
                    AppError::bad_request(
                        name,
                        format!("`{v}` is not a forge; use github, gitlab, bitbucket, gerrit or phabricator"),
                    )
                })
            })
            .transpose()
    }

    /// An instant: RFC 3339, or a date meaning its UTC midnight.
    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, AppError> {
        self.text(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(&v)
                    .map(|t| t.with_timezone(&Utc))
                    .or_else(|_| {
                        NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                            .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
                    })
                    .map_err(|_| {
                        AppError::bad_request(
                            name,
                            format!("`{v}` is not a date (YYYY-MM-DD) or an RFC 3339 time"),
                        )
                    })
            })
            .transpose()
    }

    pub fn page_size(&self) -> Result<usize, AppError> {
        match self.parsed::<usize>("page_size", "a whole number")? {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n @ 1..=MAX_PAGE_SIZE) => Ok(n),
            Some(n) => Err(AppError::bad_request(
                "page_size",
                format!("{n} is out of range; a page holds 1 to {MAX_PAGE_SIZE}"),
            )),
        }
    }

    pub fn cursor(&self) -> Result<Option<Cursor>, AppError> {
        self.text("cursor")
            .map(|v| {
                Cursor::decode(&v)
                    .map_err(|_| AppError::bad_request("cursor", "not a cursor this API gave out"))
            })
            .transpose()
    }

    /// `ordering` against the keys `allowed` (ascending by id by default).
    pub fn ordering(&self, allowed: &[(&str, SortKey)]) -> Result<Order, AppError> {
        let Some(text) = self.text("ordering") else {
            return Ok(Order {
                key: SortKey::Id,
                descending: false,
            });
        };
        Order::parse(&text, allowed).ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            AppError::bad_request(
                "ordering",
                format!(
                    "`{text}` is not an ordering; use one of {} (with `-` for descending)",
                    names.join(", ")
                ),
            )
        })
    }

    /// The answer of a list at `path`: the slice, with the addresses of the
    /// pages around it (the same parameters, another cursor).
    pub fn page<T>(&self, path: &str, slice: Slice<T>) -> Page<T> {
        Page {
            count: slice.count,
            next: slice.next.map(|c| self.with_cursor(path, &c)),
            previous: slice.previous.map(|c| self.with_cursor(path, &c)),
            results: slice.rows,
        }
    }

    /// The address of the same list from another cursor.
    fn with_cursor(&self, path: &str, cursor: &Cursor) -> String {
        let mut values = self.values.clone();
        values.insert("cursor".into(), cursor.encode());
        let query = serde_urlencoded::to_string(&values).unwrap_or_default();
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<&'static str> {
        vec!["page_size", "cursor", "ordering", "min_followers"]
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused_by_name() {
        let error = Params::read(Some("page_size=5&colour=red"), &allowed())
            .err()
            .unwrap();
        assert_eq!(
            error,
            AppError::bad_request("colour", error_message(&error))
        );
        assert!(error.to_string().contains("unknown parameter `colour`"));
        let twice = Params::read(Some("page_size=5&page_size=6"), &allowed())
            .err()
            .unwrap();
        assert!(matches!(twice, AppError::BadRequest { ref field, .. } if field == "page_size"));
    }

    fn error_message(error: &AppError) -> String {
        match error {
            AppError::BadRequest { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    #[test]
    fn values_are_parsed_or_refused_naming_the_parameter() {
        let params = Params::read(Some("min_followers=12&page_size=100"), &allowed()).unwrap();
        assert_eq!(params.number("min_followers").unwrap(), Some(12));
        assert_eq!(params.page_size().unwrap(), 100);
        for (query, field) in [
            ("min_followers=many", "min_followers"),
            ("page_size=101", "page_size"),
            ("page_size=0", "page_size"),
            ("cursor=xyz", "cursor"),
            ("ordering=password", "ordering"),
        ] {
            let params = Params::read(Some(query), &allowed()).unwrap();
            let error = params
                .number("min_followers")
                .err()
                .or_else(|| params.page_size().err())
                .or_else(|| params.cursor().err())
                .or_else(|| params.ordering(&SortKey::DEVELOPERS).err())
                .unwrap();
            assert!(
                matches!(error, AppError::BadRequest { field: ref f, .. } if f == field),
                "{query}: {error:?}"
            );
        }
    }
}
