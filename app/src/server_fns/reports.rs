//! Repository reports: the page's server function, and the one way the page
//! and `/api/v1/reports` turn address parameters into a report.

use leptos::prelude::*;
use model::report::Report;

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

/// The report `params` ask for, as `viewer` may see it. Engine messages
/// that begin with a parameter's name (`to: …`) answer in that field.
#[cfg(feature = "ssr")]
pub async fn answer(
    reports: &engine::reports::Reports,
    params: &model::report::ReportParams,
    viewer: Option<model::ids::UserId>,
) -> Result<Report, AppError> {
    let (from, to) = params.range(chrono::Utc::now().date_naive());
    let ask = engine::reports::ReportAsk {
        repositories: params.repositories.clone(),
        from,
        to,
        patterns: params.patterns(&reports.settings().patterns),
    };
    reports.answer(&ask, viewer).await.map_err(|error| {
        const FIELDS: [&str; 6] = ["r", "from", "to", "bug", "performance", "bot"];
        match AppError::from(error) {
            AppError::Invalid { message, .. } => match message.split_once(": ") {
                Some((field, rest)) if FIELDS.contains(&field) => AppError::invalid(field, rest),
                _ => AppError::invalid("", message),
            },
            other => other,
        }
    })
}

/// Public repositories anyone can open a report on (the first 50).
#[server(endpoint = "reportable")]
pub async fn reportable_repositories() -> Result<Vec<String>, AppError> {
    let store = super::context::store()?;
    Ok(store.reportable_repositories(50).await?)
}
