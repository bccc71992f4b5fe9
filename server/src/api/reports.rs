//! `/api/v1/reports`: a repository report for scripts, as JSON or, with
//! `format=csv`, the per-person table as CSV. One repository by path
//! (`/api/v1/reports/github/owner/name`) or several by `r`
//! (`/api/v1/reports?r=github:a/b&r=gitlab:g/p`); the page at `/reports/…`
//! takes the same parameters.
#![allow(
    unused_qualifications,
    reason = "utoipa's path macro spells out the parameter types' paths"
)]

use app::error::AppError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use model::discovery::Page;
use model::error::ErrorBody;
use model::forge::Forge;
use model::report::{Report, ReportItem, ReportParams, TallyKind};
use utoipa::IntoParams;

use super::caller::Caller;
use crate::state::AppState;

/// What every report takes besides its repositories. Documentation only:
/// [`ReportParams::from_query`] reads them, against these names.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "declares the parameters for OpenAPI; ReportParams reads them"
)]
pub(super) struct ReportQuery {
    /// First day, `YYYY-MM-DD` (UTC); a year before `to` by default.
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC); today by default.
    to: Option<String>,
    /// Label patterns (regular expressions, any case) that make an issue a
    /// bug; repeat for more (at most 20); they replace the installation's.
    bug: Option<Vec<String>>,
    /// Label patterns that make an issue a performance issue.
    performance: Option<Vec<String>>,
    /// Account patterns whose comments are not a first response.
    bot: Option<Vec<String>>,
    /// Accounts that are one person, counted as one: `Ada = github:ada
    /// gitlab:ada-l` (the name is optional); repeat for more people (at
    /// most 50).
    person: Option<Vec<String>>,
}

/// What an items list takes besides a report's parameters. Documentation
/// only: [`model::report::ItemFilter::from_query`] and the paging read them.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "declares the parameters for OpenAPI; ItemFilter reads them"
)]
pub(super) struct ItemsQuery {
    /// Which count: commits, pulls_opened, pulls_merged, reviews,
    /// issues_opened or issue_comments.
    kind: TallyKind,
    /// An account's forge; repeat with `account` (and `instance`) for each
    /// of a person's accounts, as the report's `people[].accounts` give them.
    forge: Option<Vec<Forge>>,
    /// An account's forge instance (host); for every account or none (then
    /// every instance of its forge).
    instance: Option<Vec<String>>,
    /// An account as the report names it; none: everyone's items.
    account: Option<Vec<String>>,
    /// A Monday, `YYYY-MM-DD`: only that week's items.
    week: Option<String>,
    /// Items per page, 1 to 100 (20 by default).
    page_size: Option<u32>,
    /// Where the page starts, from `next` or `previous`.
    cursor: Option<String>,
}

/// How the answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format_of(query: &str) -> Result<Format, AppError> {
    match model::url::query_pairs(query)
        .into_iter()
        .find(|(key, _)| key == "format")
        .map(|(_, value)| value)
        .as_deref()
    {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(other) => Err(AppError::invalid(
            "format",
            format!("`{other}` is not one of json, csv"),
        )),
    }
}

/// The report `params` ask for, as `caller` may see it.
async fn answer(
    state: &AppState,
    caller: &Caller,
    params: &ReportParams,
    format: Format,
) -> Result<Response, AppError> {
    let report = app::server_fns::reports::answer(&state.reports, params, caller.user()).await?;
    Ok(match format {
        Format::Json => Json(report).into_response(),
        Format::Csv => csv(&report),
    })
}

fn csv(report: &Report) -> Response {
    let name = format!("report-{}-{}.csv", report.from, report.to);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        report.people_csv(),
    )
        .into_response()
}

fn params_of(query: &str) -> Result<ReportParams, AppError> {
    ReportParams::from_query(query, &["format"])
        .map_err(|e| AppError::bad_request(e.field, e.message))
}

/// The report on the repositories `r` names: per person, commits, issues
/// opened, pull requests opened and merged, reviews and issue comments in
/// the range; the issues' bug and performance share, time to close, first
/// response, open issues by age and label; contributor concentration; new
/// and returning contributors per month. Only repositories this
/// installation keeps (subscribed to by someone) are reported on; a
/// private one only to a subscriber whose token reads it.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports",
    params(
        ("r" = Vec<String>, Query, description = "A repository's address (`https://github.com/owner/name`) or `forge:path`; repeat for more (at most 20)"),
        ReportQuery,
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`: the per-person table"),
    ),
    responses(
        (status = 200, body = Report),
        (status = 400, description = "An unknown parameter or a day that is not one; `field` names it", body = ErrorBody),
        (status = 404, description = "A repository this installation does not keep (or may not show you)", body = ErrorBody),
        (status = 422, description = "Too many repositories, a range longer than the installation reports on, or a pattern that is not a regular expression; `field` names it", body = ErrorBody),
        (status = 503, description = "A repository is being read for the first time: no numbers rather than zeros", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn by_query(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let query = query.unwrap_or_default();
    let format = format_of(&query)?;
    let params = params_of(&query)?;
    answer(&state, &caller, &params, format).await
}

/// The report on one repository, named in the path (`github/owner/name`);
/// the other parameters as for `/api/v1/reports`.
#[utoipa::path(get, path = "/api/v1/reports/{forge}/{path}", tag = "reports",
    params(
        ("forge" = Forge, Path, description = "The forge"),
        ("path" = String, Path, description = "The repository as the forge names it (`owner/name`, a GitLab group path, a Gerrit project)"),
        ReportQuery,
        ("format" = Option<String>, Query, description = "`json` or `csv`"),
    ),
    responses(
        (status = 200, body = Report),
        (status = 400, description = "An unknown parameter; `field` names it", body = ErrorBody),
        (status = 404, description = "An unknown forge, or a repository this installation does not keep", body = ErrorBody),
        (status = 422, description = "A bad range or pattern; `field` names it", body = ErrorBody),
        (status = 503, description = "The repository is being read for the first time", body = ErrorBody),
    ))]
pub async fn by_path(
    State(state): State<AppState>,
    caller: Caller,
    Path((forge, path)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let forge = Forge::from_key(&forge)
        .ok_or_else(|| AppError::not_found(format!("no forge called `{forge}`")))?;
    let query = query.unwrap_or_default();
    let format = format_of(&query)?;
    let mut params = params_of(&query)?;
    if !params.repositories.is_empty() {
        return Err(AppError::bad_request(
            "r",
            "the path names the repository; use /api/v1/reports?r=… for several",
        ));
    }
    params.repositories = vec![format!("{}:{path}", forge.key())];
    answer(&state, &caller, &params, format).await
}

/// The items behind one count of a report, newest first: a person's
/// commits, pull requests opened or merged, reviews, issues opened or
/// comments (`kind`, with `forge`, `instance` and `account` as the report's
/// `people[].accounts` give them, repeated for each of a person's accounts),
/// optionally in one week (`week`, its Monday).
/// `count` equals the report's number for the same parameters.
#[utoipa::path(get, path = "/api/v1/reports/items", tag = "reports",
    params(
        ("r" = Vec<String>, Query, description = "The report's repositories, as for `/api/v1/reports`"),
        ReportQuery,
        ItemsQuery,
    ),
    responses(
        (status = 200, body = Page<ReportItem>),
        (status = 400, description = "An unknown parameter, a missing or bad `kind`, a bad week, page size or cursor; `field` names it", body = ErrorBody),
        (status = 404, description = "A repository this installation does not keep (or may not show you)", body = ErrorBody),
        (status = 422, description = "Too many repositories or a range too long; `field` names it", body = ErrorBody),
        (status = 503, description = "A repository is being read for the first time", body = ErrorBody),
    ))]
pub async fn items(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<ReportItem>>, AppError> {
    let query = query.unwrap_or_default();
    let page = app::server_fns::reports::items(
        &state.reports,
        &query,
        caller.user(),
        &format!("{}/reports/items", super::API),
    )
    .await?;
    Ok(Json(page))
}
