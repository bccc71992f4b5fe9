//! Repository reports: the page's server function, and the one way the page
//! and `/api/v1/reports` turn address parameters into a report.

use leptos::prelude::*;
use model::discovery::Page;
use model::report::{Report, ReportItem};

use crate::error::AppError;

/// The report the page's address asks for: its query string, and for
/// `/reports/<forge>/<path>` the repository in the path.
#[server(endpoint = "report")]
pub async fn get_report(query: String, repository: Option<String>) -> Result<Report, AppError> {
    let mut params = model::report::ReportParams::from_query(&query, &[])
        .map_err(|e| AppError::bad_request(e.field, e.message))?;
    if let Some(repository) = repository {
        params.repositories.insert(0, repository);
    }
    let reports = use_context::<engine::reports::Reports>().ok_or(AppError::Unavailable)?;
    answer(&reports, &params, super::context::visitor().user).await
}

/// A page of the items behind one count of a report: its query string
/// holds the report's parameters, the count's (`kind`, `forge`,
/// `instance`, `account`, `week`) and the page's (`page_size`, `cursor`).
#[server(endpoint = "report_items")]
pub async fn get_report_items(query: String) -> Result<Page<ReportItem>, AppError> {
    let reports = use_context::<engine::reports::Reports>().ok_or(AppError::Unavailable)?;
    items(
        &reports,
        &query,
        super::context::visitor().user,
        "/reports/items",
    )
    .await
}

/// The report `params` ask for, as `viewer` may see it.
#[cfg(feature = "ssr")]
pub async fn answer(
    reports: &engine::reports::Reports,
    params: &model::report::ReportParams,
    viewer: Option<model::ids::UserId>,
) -> Result<Report, AppError> {
    reports
        .answer(&ask(reports, params), viewer)
        .await
        .map_err(in_field)
}

#[cfg(feature = "ssr")]
fn ask(
    reports: &engine::reports::Reports,
    params: &model::report::ReportParams,
) -> engine::reports::ReportAsk {
    let (from, to) = params.range(chrono::Utc::now().date_naive());
    engine::reports::ReportAsk {
        repositories: params.repositories.clone(),
        from,
        to,
        patterns: params.patterns(&reports.settings().patterns),
        people: params.people.clone(),
    }
}

/// An engine error as the answer: messages that begin with a parameter's
/// name (`to: …`) answer in that field.
#[cfg(feature = "ssr")]
fn in_field(error: engine::Error) -> AppError {
    const FIELDS: [&str; 7] = model::report::ReportParams::NAMES;
    match AppError::from(error) {
        AppError::Invalid { message, .. } => match message.split_once(": ") {
            Some((field, rest)) if FIELDS.contains(&field) => AppError::invalid(field, rest),
            _ => AppError::invalid("", message),
        },
        other => other,
    }
}

/// What an items list takes besides a report's parameters.
pub const ITEM_PARAMS: [&str; 7] = [
    "kind",
    "forge",
    "instance",
    "account",
    "week",
    "page_size",
    "cursor",
];

/// A page of the items behind one count, read from `query` (see
/// [`get_report_items`]), as `viewer` may see them; the pages around it
/// are addressed under `path`.
#[cfg(feature = "ssr")]
pub async fn items(
    reports: &engine::reports::Reports,
    query: &str,
    viewer: Option<model::ids::UserId>,
    path: &str,
) -> Result<Page<ReportItem>, AppError> {
    use engine::store::reports::ItemCursor;
    use model::report::{ItemFilter, ReportParams};
    let bad = |e: model::report::ParamError| AppError::bad_request(e.field, e.message);
    let params = ReportParams::from_query(query, &ITEM_PARAMS).map_err(bad)?;
    let filter = ItemFilter::from_query(query).map_err(bad)?;
    let pairs = model::url::query_pairs(query);
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let size = match value("page_size") {
        None => crate::lists::DEFAULT_PAGE_SIZE,
        Some(text) => match text.parse::<usize>() {
            Ok(n @ 1..=crate::lists::MAX_PAGE_SIZE) => n,
            _ => {
                return Err(AppError::bad_request(
                    "page_size",
                    format!(
                        "`{text}` is not a page size; a page holds 1 to {}",
                        crate::lists::MAX_PAGE_SIZE
                    ),
                ));
            }
        },
    };
    let cursor = value("cursor")
        .map(|text| {
            ItemCursor::decode(text)
                .map_err(|_| AppError::bad_request("cursor", "not a cursor this list gave out"))
        })
        .transpose()?;
    let slice = reports
        .items(
            &ask(reports, &params),
            viewer,
            &filter,
            cursor.as_ref(),
            size,
        )
        .await
        .map_err(in_field)?;
    let address = |cursor: ItemCursor| {
        format!(
            "{path}?{}&{}&page_size={size}&cursor={}",
            params.to_query(),
            filter.to_query(),
            cursor.encode()
        )
    };
    Ok(Page {
        count: slice.count,
        next: slice.next.map(address),
        previous: slice.previous.map(address),
        results: slice.rows,
    })
}

/// Public repositories anyone can open a report on (the first 50).
#[server(endpoint = "reportable")]
pub async fn reportable_repositories() -> Result<Vec<String>, AppError> {
    let store = super::context::store()?;
    Ok(store.reportable_repositories(50).await?)
}
