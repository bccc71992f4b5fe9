//! A query's items and tallies to take elsewhere: a spreadsheet, a script,
//! a feed reader.
//!
//! - `/q/<hash>/items.csv` and `/q/<hash>/items.json`: every item the page
//!   lists, newest first, streamed a page of the store at a time, so any
//!   number of items is exported in constant memory;
//! - `/q/<hash>/tallies.csv` and `/q/<hash>/tallies.json`: each person's
//!   count per kind, and whether it is complete;
//! - `/q/<hash>/feed.atom`: the newest items as an Atom feed, each entry's
//!   id stable for as long as the item exists.
//!
//! They read what the cache holds (opening them fetches nothing); where an
//! account misses days, the tallies say "complete": false and every answer
//! carries `Tally-Complete: false`, so a partial answer never passes for a
//! whole one.

use std::fmt::Write as _;

use app::error::AppError;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use engine::store::Store;
use futures_util::stream::{self, StreamExt};
use model::contribution::{ContributionKind, Status};
use model::query::{ListedContribution, QueryHash, QuerySpec, Summary};
use model::wire::wire_name;
use serde::Serialize;

use crate::state::AppState;
use crate::xml;

/// Items read from the store at a time while exporting.
const EXPORT_PAGE: usize = 500;
/// Entries in the Atom feed.
const FEED_ENTRIES: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/q/{hash}/items.csv", get(items_csv))
        .route("/q/{hash}/items.json", get(items_json))
        .route("/q/{hash}/tallies.csv", get(tallies_csv))
        .route("/q/{hash}/tallies.json", get(tallies_json))
        .route("/q/{hash}/feed.atom", get(feed))
}

/// One exported item: the page's row, with the person's name.
#[derive(Debug, Serialize)]
struct Item<'a> {
    person: &'a str,
    forge: &'static str,
    instance: &'a str,
    kind: ContributionKind,
    status: Option<Status>,
    repository: &'a str,
    id: &'a str,
    title: &'a str,
    url: &'a str,
    author: &'a str,
    occurred_at: DateTime<Utc>,
}

const ITEM_COLUMNS: &str =
    "person,forge,instance,kind,status,repository,id,title,url,author,occurred_at\r\n";

impl<'a> Item<'a> {
    fn of(listed: &'a ListedContribution, spec: &'a QuerySpec) -> Self {
        let c = &listed.contribution;
        Self {
            person: spec
                .people
                .get(listed.person)
                .and_then(|p| p.name.as_deref())
                .unwrap_or(""),
            forge: c.forge.key(),
            instance: &c.instance,
            kind: c.kind,
            status: c.status,
            repository: &c.repository,
            id: &c.id,
            title: &c.title,
            url: &c.url,
            author: &c.author,
            occurred_at: c.occurred_at,
        }
    }

    fn csv_row(&self, out: &mut String) {
        let kind = wire_name(&self.kind);
        let status = self.status.map(|s| wire_name(&s)).unwrap_or_default();
        let time = self
            .occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let cells = [
            self.person,
            self.forge,
            self.instance,
            &kind,
            &status,
            self.repository,
            self.id,
            self.title,
            self.url,
            self.author,
            &time,
        ];
        csv_line(out, &cells);
    }
}

/// Appends one CSV record (RFC 4180, CRLF). A cell a spreadsheet would
/// take for a formula (`=`, `+`, `-`, `@`, tab or CR first) gets a `'`
/// before it, since titles come from anyone on a forge.
fn csv_line(out: &mut String, cells: &[&str]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quoted = formula || cell.contains([',', '"', '\n', '\r']);
        if quoted {
            out.push('"');
        }
        if formula {
            out.push('\'');
        }
        for c in cell.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        if quoted {
            out.push('"');
        }
    }
    out.push_str("\r\n");
}

/// The saved query behind an address, and its tallies as the page shows
/// them (remembered like the page's; nothing is fetched).
async fn query_of(
    state: &AppState,
    hash: &str,
) -> Result<(QueryHash, QuerySpec, Summary), AppError> {
    let not_found = || AppError::not_found(format!("query {hash}"));
    let hash = QueryHash::parse(hash).ok_or_else(not_found)?;
    let spec = state.queries.spec(&hash).await?.ok_or_else(not_found)?;
    let summary = state
        .queries
        .cached_summary(&hash)
        .await?
        .ok_or_else(not_found)?;
    Ok((hash, spec, summary))
}

/// A body of the query's items, newest first: `head`, then each item
/// written by `write` (told whether it is the first), then `tail`; read
/// from the store a page at a time as the body is sent.
fn items_body(
    store: Store,
    spec: QuerySpec,
    head: String,
    write: fn(&Item, bool, &mut String),
    tail: &'static str,
) -> Body {
    // The state: the cursor of the next page (`Some(None)`: the first),
    // or `None` once the list is read.
    let pages = stream::unfold(Some(None::<String>), move |cursor| {
        let (store, spec) = (store.clone(), spec.clone());
        async move {
            let after = cursor?;
            let page =
                match engine::queries::page(&store, &spec, after.as_deref(), EXPORT_PAGE).await {
                    Ok(page) => page,
                    // The body is under way: ending it early is the only way
                    // left to say so, and the client sees a cut answer, never
                    // a short one that looks whole.
                    Err(error) => {
                        tracing::warn!(%error, "an export stopped");
                        return Some((Err(std::io::Error::other(error.to_string())), None));
                    }
                };
            let mut chunk = String::new();
            for (i, listed) in page.items.iter().enumerate() {
                write(
                    &Item::of(listed, &spec),
                    after.is_none() && i == 0,
                    &mut chunk,
                );
            }
            let next = page.next.filter(|_| !page.items.is_empty());
            Some((Ok(chunk), next.map(Some)))
        }
    });
    let ends = |text: String| stream::once(std::future::ready(Ok(text)));
    // Fused: the compression layer polls a body once more after its end,
    // and an unfold polled after its end panics (which cut compressed
    // exports off mid-stream before).
    let whole = ends(head).chain(pages).chain(ends(tail.to_owned())).fuse();
    Body::from_stream(whole)
}

fn with_type(
    body: impl IntoResponse,
    content_type: &'static str,
    complete: bool,
    file: Option<String>,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        "tally-complete",
        HeaderValue::from_static(if complete { "true" } else { "false" }),
    );
    if let Some(value) =
        file.and_then(|f| HeaderValue::from_str(&format!("attachment; filename=\"{f}\"")).ok())
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn items_csv(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Response, AppError> {
    let (hash, spec, summary) = query_of(&state, &hash).await?;
    let complete = summary.complete();
    let body = items_body(
        state.queries.store().clone(),
        spec,
        ITEM_COLUMNS.to_owned(),
        |item, _, out| item.csv_row(out),
        "",
    );
    Ok(with_type(
        body,
        "text/csv; charset=utf-8",
        complete,
        Some(format!("tally-{hash}-items.csv")),
    ))
}

async fn items_json(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Response, AppError> {
    let (hash, spec, summary) = query_of(&state, &hash).await?;
    let complete = summary.complete();
    let head = format!(r#"{{"query":"{hash}","complete":{complete},"items":["#);
    let body = items_body(
        state.queries.store().clone(),
        spec,
        head,
        |item, first, out| {
            if !first {
                out.push(',');
            }
            if let Ok(json) = serde_json::to_string(item) {
                out.push_str(&json);
            }
        },
        "]}",
    );
    Ok(with_type(body, "application/json", complete, None))
}

async fn tallies_csv(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Response, AppError> {
    let (hash, _, summary) = query_of(&state, &hash).await?;
    let mut out = String::from("person,kind,count,complete\r\n");
    for person in &summary.people {
        let complete = person.complete().to_string();
        for (kind, n) in &person.by_kind {
            csv_line(
                &mut out,
                &[&person.name, &wire_name(kind), &n.to_string(), &complete],
            );
        }
    }
    Ok(with_type(
        out,
        "text/csv; charset=utf-8",
        summary.complete(),
        Some(format!("tally-{hash}-tallies.csv")),
    ))
}

#[derive(Serialize)]
struct Tallies<'a> {
    query: &'a QueryHash,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    complete: bool,
    total: u64,
    people: Vec<PersonTallies<'a>>,
}

#[derive(Serialize)]
struct PersonTallies<'a> {
    name: &'a str,
    complete: bool,
    total: u64,
    /// Days of the range some account of the person misses.
    unfetched_days: u64,
    by_kind: std::collections::BTreeMap<String, u64>,
}

async fn tallies_json(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Response, AppError> {
    let (hash, spec, summary) = query_of(&state, &hash).await?;
    let people = summary
        .people
        .iter()
        .map(|person| PersonTallies {
            name: &person.name,
            complete: person.complete(),
            total: person.total,
            unfetched_days: person
                .accounts
                .iter()
                .map(|a| u64::from(a.unfetched_days))
                .max()
                .unwrap_or(0),
            by_kind: person
                .by_kind
                .iter()
                .map(|(k, n)| (wire_name(k), *n))
                .collect(),
        })
        .collect();
    let tallies = Tallies {
        query: &hash,
        from: spec.from,
        to: spec.to,
        complete: summary.complete(),
        total: summary.total,
        people,
    };
    Ok(with_type(
        axum::Json(&tallies),
        "application/json",
        summary.complete(),
        None,
    ))
}

/// An item's entry id: the query page's address with the item's identity
/// as its fragment, the same every time the item is listed.
fn entry_id(page: &str, item: &ListedContribution) -> String {
    let c = &item.contribution;
    let raw = format!(
        "{}:{}:{}:{}",
        c.forge.key(),
        c.instance,
        wire_name(&c.kind),
        c.id
    );
    let mut fragment = String::new();
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:@/".contains(&byte) {
            fragment.push(char::from(byte));
        } else {
            let _ = write!(fragment, "%{byte:02X}");
        }
    }
    format!("{page}#{fragment}")
}

async fn feed(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Response, AppError> {
    let (hash, spec, summary) = query_of(&state, &hash).await?;
    let newest = engine::queries::page(state.queries.store(), &spec, None, FEED_ENTRIES).await?;
    let public = state.auth.public_url.trim_end_matches('/');
    let page = format!("{public}/q/{hash}");
    let names: Vec<&str> = summary.people.iter().map(|p| p.name.as_str()).collect();
    let title = format!(
        "Contributions of {} ({} to {})",
        names.join(", "),
        spec.from,
        spec.to
    );
    // The newest item's time, or the range's start when there is none.
    let updated = newest
        .items
        .first()
        .map(|i| i.contribution.occurred_at)
        .or_else(|| spec.from.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
        .unwrap_or_default();
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut xml = String::from(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    let _ = write!(
        xml,
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><id>{page}</id><title>{}</title><updated>{}</updated><link rel="self" type="application/atom+xml" href="{page}/feed.atom"/><link rel="alternate" type="text/html" href="{page}"/><author><name>Tally</name><uri>{public}/</uri></author><generator uri="{public}/">Tally</generator>"#,
        xml::escape(&title),
        time(updated),
        page = xml::escape(&page),
        public = xml::escape(public),
    );
    for item in &newest.items {
        let c = &item.contribution;
        let who = spec
            .people
            .get(item.person)
            .and_then(|p| p.name.as_deref())
            .unwrap_or(&c.author);
        let entry_title = format!("{}: {} in {}", c.kind.label(), c.title, c.repository);
        let _ = write!(
            xml,
            r#"<entry><id>{}</id><title>{}</title><updated>{}</updated><published>{}</published><author><name>{}</name></author>"#,
            xml::escape(&entry_id(&page, item)),
            xml::escape(&entry_title),
            time(c.occurred_at),
            time(c.occurred_at),
            xml::escape(who),
        );
        let link = model::url::web_link(&c.url);
        if link != "#" {
            let _ = write!(
                xml,
                r#"<link rel="alternate" href="{}"/>"#,
                xml::escape(&link)
            );
        }
        let _ = write!(
            xml,
            r#"<summary>{}</summary></entry>"#,
            xml::escape(&format!(
                "{} ({}) on {} {}",
                who,
                c.author,
                c.forge.name(),
                c.instance
            ))
        );
    }
    xml.push_str("</feed>");
    Ok(with_type(
        xml,
        "application/atom+xml; charset=utf-8",
        summary.complete(),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        let mut out = String::new();
        csv_line(
            &mut out,
            &[
                "plain",
                "a,b",
                "say \"hi\"",
                "two\nlines",
                "=HYPERLINK(\"x\")",
                "-1",
                "",
            ],
        );
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=HYPERLINK(\"\"x\"\")\",\"'-1\",\r\n"
        );
    }
}
