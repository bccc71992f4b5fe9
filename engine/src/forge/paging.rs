//! Paging helpers shared by the clients of forges that page alike.

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::http::{Call, Http};
use crate::error::{Error, Result};

/// The most pages one walk of a list reads: a forge that links pages
/// without end is stopped, and the walk fails saying so.
pub const MOST_PAGES: u32 = 10_000;

/// The error of a walk that reached [`MOST_PAGES`].
pub fn too_many_pages(url: &str) -> Error {
    Error::Malformed {
        url: url.to_owned(),
        problem: format!("the forge linked more than {MOST_PAGES} pages; stopped"),
    }
}

/// Every item of a JSON-array list, following `link: rel="next"` (GitHub,
/// GitLab). A 404 is reported as `name(url)`, saying what was not found.
pub async fn linked_pages<T: DeserializeOwned>(
    http: &Http,
    first: Call,
    name: impl Fn(&str) -> String,
) -> Result<Vec<T>> {
    // Without a `since`, every page is read and no item's time is asked.
    newest_since(http, first, None, |_: &T| DateTime::<Utc>::MIN_UTC, name)
        .await
        .map(|(items, _)| items)
}

/// The items of a JSON-array list ordered newest first (following `link:
/// rel="next"`), up to the first older than `since` (all of them without
/// one), and the forge's clock at the first answer. An item updated while
/// the list is walked moves to its front: it may come twice (the first
/// copy newer), and one missed that way was updated after the walk began,
/// so the next walk, from the clock returned, finds it.
pub async fn newest_since<T: DeserializeOwned>(
    http: &Http,
    first: Call,
    since: Option<DateTime<Utc>>,
    time: impl Fn(&T) -> DateTime<Utc>,
    name: impl Fn(&str) -> String,
) -> Result<(Vec<T>, Option<DateTime<Utc>>)> {
    let mut items = Vec::new();
    let mut started = None;
    let mut call = first;
    for _ in 0..MOST_PAGES {
        let page = http
            .fetch(&call, |body| {
                serde_json::from_slice::<Vec<T>>(body).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| match e {
                Error::NotFound { what } => Error::NotFound { what: name(&what) },
                other => other,
            })?;
        if started.is_none() {
            started = super::forge_clock(&page.headers);
        }
        let listed = page.value.len();
        let before = items.len();
        items.extend(
            page.value
                .into_iter()
                .take_while(|item| since.is_none_or(|since| time(item) >= since)),
        );
        let reached = items.len() - before < listed;
        match next_link(&page.headers) {
            Some(next) if !reached => call = next_call(&call, next),
            _ => return Ok((items, started)),
        }
    }
    Err(too_many_pages(&call.url))
}

/// The request for the page at `next` (a whole address, query included):
/// the same headers (a media type such as GitHub's `star+json` changes what
/// every page holds), budget and cost.
fn next_call(call: &Call, next: String) -> Call {
    Call {
        url: next,
        query: Vec::new(),
        ..call.clone()
    }
}

/// The `rel="next"` target of an RFC 8288 `link` header (GitHub, GitLab).
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    links(link)
        .into_iter()
        .find(|(_, rels)| {
            rels.split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
        })
        .map(|(target, _)| target.to_owned())
}

/// The links of a `link` header, each target with its `rel` (empty when
/// it has none). A target may hold `,` and `;` (query strings do), and a
/// quoted parameter may too, so neither is cut at blindly.
fn links(header: &str) -> Vec<(&str, String)> {
    let mut found = Vec::new();
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let target = &rest[open + 1..open + close];
        let after = &rest[open + close + 1..];
        let end = unquoted(after, ',').unwrap_or(after.len());
        let rel = split_unquoted(&after[..end], ';')
            .into_iter()
            .filter_map(|param| param.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("rel"))
            .map(|(_, value)| value.trim().trim_matches('"').to_owned())
            .unwrap_or_default();
        found.push((target, rel));
        rest = after.get(end + 1..).unwrap_or_default();
    }
    found
}

/// Where `separator` first stands outside double quotes in `text`.
fn unquoted(text: &str, separator: char) -> Option<usize> {
    let (mut quoted, mut escaped) = (false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => return Some(at),
            _ => {}
        }
    }
    None
}

/// `text` cut at each `separator` outside double quotes.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = unquoted(rest, separator) {
        parts.push(&rest[..at]);
        rest = &rest[at + separator.len_utf8()..];
    }
    parts.push(rest);
    parts
}

/// A list ordered by update time, oldest first, that answers "updated at
/// or after `since`", walked in pages of `page_size`: each page that is not
/// the last (full, or linking a next one: a forge may answer fewer items
/// than asked and still have more) moves `since` to its last item's time
/// (inclusive, so nothing at that instant is skipped; a page that cannot
/// move it goes on by page number, as its link would). Paging by offset
/// alone would let an item updated mid-walk jump to the end and shift an
/// unseen one back onto a page already read.
///
/// `fetch(since, page)` asks for one page. Returns every item in the order
/// seen (an item updated mid-walk may come twice, the later copy newer) and
/// the forge's clock at the first answer.
pub async fn walk_by_update<T, F, Fut>(
    since: Option<DateTime<Utc>>,
    page_size: usize,
    fetch: F,
    updated: impl Fn(&T) -> DateTime<Utc>,
) -> Result<(Vec<T>, Option<DateTime<Utc>>)>
where
    F: Fn(Option<DateTime<Utc>>, u32) -> Fut,
    Fut: Future<Output = Result<ListPage<T>>>,
{
    let mut items = Vec::new();
    let mut started = None;
    let mut cursor = since;
    let mut page = 1;
    for _ in 0..MOST_PAGES {
        let fetched = fetch(cursor, page).await?;
        if started.is_none() {
            started = super::forge_clock(&fetched.headers);
        }
        let more = fetched.more || fetched.items.len() >= page_size;
        let last = fetched.items.last().map(&updated);
        items.extend(fetched.items);
        match last {
            Some(last) if more => {
                if cursor == Some(last) {
                    page += 1;
                } else {
                    cursor = Some(last);
                    page = 1;
                }
            }
            _ => return Ok((items, started)),
        }
    }
    Err(too_many_pages("a list walked by update time"))
}

/// One page of a list as [`walk_by_update`] reads it: its items, whether
/// the forge says more follow, and the answer's headers.
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub more: bool,
    pub headers: HeaderMap,
}

impl<T> ListPage<T> {
    /// A page of a list that links its next page (GitHub, GitLab).
    pub fn linked(fetched: super::http::Fetched<Vec<T>>) -> Self {
        Self {
            more: next_link(&fetched.headers).is_some(),
            items: fetched.value,
            headers: fetched.headers,
        }
    }
}

/// Splits the inclusive day range `[from, to]` into pieces of at most
/// `days` days, in order.
pub fn day_windows(
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    days: u32,
) -> Vec<(chrono::NaiveDate, chrono::NaiveDate)> {
    let mut windows = Vec::new();
    let mut start = from;
    while start <= to {
        let end = (start + chrono::Duration::days(i64::from(days) - 1)).min(to);
        windows.push((start, end));
        start = end + chrono::Duration::days(1);
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link_param() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prop_oneof;
        prop_oneof![
            "title=\"[a-z ,;=]{0,10}\"",
            "type=\"application/json\"",
            "hreflang=en",
        ]
    }

    fn link() -> impl proptest::strategy::Strategy<Value = (String, Vec<&'static str>, Vec<String>)>
    {
        (
            "https://api\\.example/[a-z0-9/]{0,10}(\\?[a-z0-9=&,;%+]{0,20})?",
            proptest::sample::subsequence(vec!["next", "prev", "first", "last"], 0..3),
            proptest::collection::vec(link_param(), 0..2),
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn the_next_link_is_found_whatever_its_neighbours_hold(
            links in proptest::collection::vec(link(), 0..5),
            quoted in proptest::bool::ANY,
        ) {
            let header = links
                .iter()
                .map(|(target, rels, params)| {
                    let mut parts = vec![format!("<{target}>")];
                    parts.extend(params.iter().cloned());
                    if !rels.is_empty() {
                        let rels = rels.join(" ");
                        parts.push(if quoted || rels.contains(' ') { format!("rel=\"{rels}\"") } else { format!("rel={rels}") });
                    }
                    parts.join("; ")
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut headers = HeaderMap::new();
            headers.insert(reqwest::header::LINK, HeaderValue::from_str(&header).unwrap());
            let expected = links.iter().find(|(_, rels, _)| rels.contains(&"next")).map(|(t, _, _)| t.clone());
            proptest::prop_assert_eq!(next_link(&headers), expected, "{}", header);
        }

        #[test]
        fn no_link_header_makes_paging_panic(header in "[ -~]{0,80}") {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(&header) {
                headers.insert(reqwest::header::LINK, value);
            }
            let _ = next_link(&headers);
        }
    }
    use chrono::NaiveDate;
    use reqwest::header::HeaderValue;

    #[tokio::test]
    async fn a_short_page_that_links_a_next_one_is_not_the_last() {
        let at = |minute: u32| {
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, 0, minute, 0).unwrap()
        };
        // Three of five asked for, with more to come; then the last two.
        let pages = |since: Option<DateTime<Utc>>, page: u32| {
            let (items, more) = match (since, page) {
                (None, 1) => (vec![1, 2, 3], true),
                (Some(t), 1) if t == at(3) => (vec![3, 4, 5], false),
                other => panic!("unexpected page {other:?}"),
            };
            async move {
                Ok(ListPage {
                    items,
                    more,
                    headers: HeaderMap::new(),
                })
            }
        };
        let (items, _) = walk_by_update(None, 5, pages, |n: &u32| at(*n))
            .await
            .unwrap();
        assert_eq!(items, vec![1, 2, 3, 3, 4, 5]);
    }

    #[tokio::test]
    async fn a_forge_that_links_pages_without_end_is_stopped() {
        let endless = |_since: Option<DateTime<Utc>>, _page: u32| async {
            Ok(ListPage {
                items: vec![0u32],
                more: true,
                headers: HeaderMap::new(),
            })
        };
        let at = |_: &u32| DateTime::<Utc>::MIN_UTC;
        let error = walk_by_update(None, 100, endless, at).await.unwrap_err();
        assert!(error.to_string().contains("more than"), "{error}");
    }

    #[test]
    fn every_page_is_asked_for_as_the_first_was() {
        let mut first =
            Call::get("https://api.example/users/a/starred", "core").query("per_page", 100);
        first.headers.push((
            reqwest::header::ACCEPT,
            "application/vnd.github.star+json".into(),
        ));
        let next = next_call(
            &first,
            "https://api.example/users/a/starred?page=2&per_page=100".into(),
        );
        assert_eq!(next.headers, first.headers, "the media type stays");
        assert_eq!(next.bucket, "core");
        assert_eq!(
            next.full_url(),
            "https://api.example/users/a/starred?page=2&per_page=100",
            "the query comes from the link, once"
        );
    }

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        headers.insert(
            "link",
            HeaderValue::from_static("<https://h/x?page=1>; rel=\"first\""),
        );
        assert_eq!(next_link(&headers), None);
    }

    #[test]
    fn windows_cover_the_range_without_overlap() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let windows = day_windows(day("2024-01-01"), day("2026-03-01"), 365);
        assert_eq!(windows.len(), 3);
        assert_eq!(windows[0], (day("2024-01-01"), day("2024-12-30")));
        assert_eq!(windows[1].0, day("2024-12-31"));
        assert_eq!(windows[2].1, day("2026-03-01"));
        assert!(day_windows(day("2024-01-02"), day("2024-01-01"), 365).is_empty());
    }
}
