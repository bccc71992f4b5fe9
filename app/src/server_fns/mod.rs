//! Server functions: the browser's calls into the server. Each takes what it
//! needs from context and stays thin; the work lives in `engine`.

pub mod discovery;
pub mod health_check;
pub mod reports;
pub mod settings;
pub mod tracker;

use leptos::prelude::*;
use model::activity::Activity;
use model::instance::InstanceInfo;
use model::query::{ContributionPage, PeriodItems, Summary};

use crate::error::AppError;

/// The installation's info, loaded once per page and shared by whatever
/// shows it (the demo banner, the form's examples).
pub type InstanceResource = Resource<Result<InstanceInfo, AppError>>;

pub fn provide_instance_info() {
    provide_context::<InstanceResource>(Resource::new(|| (), |_| get_instance_info()));
}

pub fn instance_info() -> InstanceResource {
    expect_context::<InstanceResource>()
}

/// Who is signed in, loaded once per page and shared by the header and
/// the pages that need it (their CSRF token rides along).
pub type ViewerResource = Resource<Result<Option<model::tracker::Viewer>, AppError>>;

pub fn provide_viewer() {
    provide_context::<ViewerResource>(Resource::new(|| (), |_| tracker::get_viewer()));
}

pub fn viewer() -> ViewerResource {
    expect_context::<ViewerResource>()
}

/// Whether this installation shows demo data, and which forges it reads.
#[server(endpoint = "instance_info")]
pub async fn get_instance_info() -> Result<InstanceInfo, AppError> {
    use_context::<InstanceInfo>().ok_or(AppError::Unavailable)
}

#[cfg(feature = "ssr")]
pub(crate) mod context {
    use std::sync::Arc;

    use leptos::prelude::*;

    use crate::error::AppError;

    pub fn queries() -> Result<Arc<engine::queries::Queries>, AppError> {
        use_context::<Arc<engine::queries::Queries>>().ok_or(AppError::Unavailable)
    }

    pub fn tracker() -> Result<Arc<engine::tracker::Tracker>, AppError> {
        use_context::<Arc<engine::tracker::Tracker>>().ok_or(AppError::Unavailable)
    }

    pub fn store() -> Result<engine::store::Store, AppError> {
        use_context::<engine::store::Store>().ok_or(AppError::Unavailable)
    }

    pub fn health_check() -> Result<engine::health_check::HealthChecker, AppError> {
        use_context::<engine::health_check::HealthChecker>().ok_or(AppError::Unavailable)
    }

    /// Discovery's queue; unavailable where no GitHub is configured.
    pub fn discovery() -> Result<engine::jobs::DiscoveryQueue, AppError> {
        use_context::<Option<engine::jobs::DiscoveryQueue>>()
            .flatten()
            .ok_or(AppError::Unavailable)
    }

    /// Who sent the request (the server's session middleware says).
    pub fn visitor() -> crate::visitor::Visitor {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::visitor::Visitor>().cloned())
            .unwrap_or_default()
    }

    /// The signed-in person, or [`AppError::Unauthorized`].
    pub fn user() -> Result<model::ids::UserId, AppError> {
        visitor().user.ok_or(AppError::Unauthorized)
    }

    /// The signed-in person, for a request that changes something: it must
    /// carry their session's CSRF token.
    pub fn user_sending(csrf: &str) -> Result<model::ids::UserId, AppError> {
        let visitor = visitor();
        let user = visitor.user.ok_or(AppError::Unauthorized)?;
        let kept = visitor.csrf.unwrap_or_default();
        if kept.is_empty() || !engine::secrets::same_token(csrf, &kept) {
            return Err(AppError::Forbidden(
                "this form is out of date or came from another site; reload the page".into(),
            ));
        }
        Ok(user)
    }

    /// The query a hash in an address names; anything that cannot be a
    /// hash names none.
    pub fn hash(text: &str) -> Result<model::query::QueryHash, AppError> {
        model::query::QueryHash::parse(text)
            .ok_or_else(|| AppError::not_found(format!("query {text}")))
    }
}

/// Creates (or finds) the query the form describes and goes to its page.
/// Checkboxes arrive as `kinds[i]`, so unchecked ones are simply absent.
#[server(endpoint = "create_query")]
pub async fn create_query(
    people: String,
    from: String,
    to: String,
    kinds: Option<Vec<String>>,
    statuses: Option<Vec<String>>,
    include_repos: Option<String>,
    exclude_repos: Option<String>,
) -> Result<String, AppError> {
    let form = model::query::QueryForm {
        kinds: kinds.unwrap_or_default(),
        statuses: statuses.unwrap_or_default(),
        include_repos: include_repos.unwrap_or_default(),
        exclude_repos: exclude_repos.unwrap_or_default(),
        ..form_of(people, from, to)
    };
    let spec = form.spec()?;
    let hash = context::queries()?.create(&spec).await?;
    leptos_axum::redirect(&format!("/q/{hash}"));
    Ok(hash.into())
}

/// The form's people and dates; empty dates mean the last twelve months,
/// in UTC days.
#[cfg(feature = "ssr")]
fn form_of(people: String, from: String, to: String) -> model::query::QueryForm {
    let today = chrono::Utc::now().date_naive();
    let or_default = |text: String, default: chrono::NaiveDate| {
        if text.trim().is_empty() {
            default.to_string()
        } else {
            text
        }
    };
    model::query::QueryForm {
        people,
        from: or_default(from, today - chrono::Duration::days(365)),
        to: or_default(to, today),
        ..model::query::QueryForm::default()
    }
}

/// What fetching the query the form describes would cost now, and whether
/// it would be refused, before it is created (nothing is fetched or saved).
#[server(endpoint = "query_cost")]
pub async fn query_cost(
    people: String,
    from: String,
    to: String,
) -> Result<model::query::QueryCost, AppError> {
    let spec = form_of(people, from, to).spec()?;
    Ok(context::queries()?.cost(&spec).await?)
}

/// Marks a rendered page whose numbers are settled, with the store
/// generation they were read under; the server may serve it again until
/// that generation moves.
pub const SETTLED_HEADER: &str = "x-tally-settled";

/// The tallies of a query. Opening a query whose cache is not current
/// starts filling it in the background; `fetching` says so.
#[server(endpoint = "query_summary")]
pub async fn query_summary(hash: String) -> Result<Summary, AppError> {
    let hash = context::hash(&hash)?;
    let queries = context::queries()?;
    let generation = queries.store().generation();
    let summary = queries
        .summary(&hash)
        .await?
        .ok_or_else(|| AppError::not_found(format!("query {hash}")))?;
    let settled = !summary.fetching
        && summary
            .people
            .iter()
            .flat_map(|p| &p.accounts)
            .all(|a| a.progress.is_none());
    if settled && let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::HeaderName::from_static(SETTLED_HEADER),
            http::HeaderValue::from(generation),
        );
    }
    Ok(summary)
}

/// Fetches the query's missing days again (after a forge failed), then
/// goes back to the query's page.
#[server(endpoint = "retry_query")]
pub async fn retry_query(hash: String) -> Result<(), AppError> {
    let hash = context::hash(&hash)?;
    context::queries()?
        .retry(&hash)
        .await?
        .ok_or_else(|| AppError::not_found(format!("query {hash}")))?;
    leptos_axum::redirect(&format!("/q/{hash}"));
    Ok(())
}

/// A page of the query's list, newest first, after a cursor from the last page.
#[server(endpoint = "query_page")]
pub async fn query_page(hash: String, after: Option<String>) -> Result<ContributionPage, AppError> {
    let hash = context::hash(&hash)?;
    context::queries()?
        .page(&hash, after.as_deref(), 50)
        .await?
        .ok_or_else(|| AppError::not_found(format!("query {hash}")))
}

/// The day-by-day counts behind a query's graphs; they add up to the
/// tallies `query_summary` gives under the same data.
#[server(endpoint = "query_activity")]
pub async fn query_activity(hash: String) -> Result<Activity, AppError> {
    let hash = context::hash(&hash)?;
    context::queries()?
        .activity(&hash)
        .await?
        .ok_or_else(|| AppError::not_found(format!("query {hash}")))
}

/// Everything of one UTC day (`2026-03-04`) or ISO week (`2026-W10`) of the
/// query: how many, and a page of them after the cursor `after`.
#[server(endpoint = "query_period")]
pub async fn query_period(
    hash: String,
    period: String,
    after: Option<String>,
) -> Result<PeriodItems, AppError> {
    let hash = context::hash(&hash)?;
    let period = model::period::Period::parse(&period)
        .map_err(|message| AppError::invalid("period", message))?;
    context::queries()?
        .period(&hash, period, after.as_deref(), 200)
        .await?
        .ok_or_else(|| AppError::not_found(format!("query {hash}")))
}
