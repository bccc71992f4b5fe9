//! The health check's server function: the `/health` page's addresses (one
//! per line, as its form sends them), checked as `/api/v1/health-check`
//! checks them.

use leptos::prelude::*;
use model::health_check::HealthCheck;

use crate::error::AppError;

/// The addresses in `urls`, one per line, with `languages` (`primary` or `bytes`).
#[server(endpoint = "check_health")]
pub async fn check_health(urls: String, languages: String) -> Result<HealthCheck, AppError> {
    let languages = model::health_check::LanguageDetail::from_key(&languages).ok_or_else(|| {
        AppError::invalid(
            "languages",
            format!("`{languages}` is not one of primary, bytes"),
        )
    })?;
    let urls: Vec<String> = urls.lines().map(str::to_owned).collect();
    super::context::health_check()?
        .check(&urls, languages)
        .await
        .map_err(|e| AppError::from(e).in_field("urls"))
}
