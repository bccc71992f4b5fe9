//! The issue tracker's server functions. Each acts for the signed-in
//! person (from the request's session) and answers 401 without one; each
//! that changes something also wants the session's CSRF token back.

use leptos::prelude::*;
use model::ids::{AccountId, RepoId};
use model::tracker::{IssueCounts, IssuePage, ReadablePage, SignInOption, Subscription, Viewer};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::context::{self, tracker, user, user_sending};

#[cfg(feature = "ssr")]
fn filter(query: &str) -> Result<model::tracker::IssueFilter, AppError> {
    model::tracker::IssueFilter::from_query(query)
        .map_err(|e| AppError::invalid(e.field, e.message))
}

/// Who is signed in (`None`: nobody), with their accounts and CSRF token.
#[server(endpoint = "viewer")]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    let visitor = context::visitor();
    let Some(user) = visitor.user else {
        return Ok(None);
    };
    let Some(accounts) = tracker()?.accounts().linked(user).await? else {
        return Ok(None);
    };
    let name = accounts
        .first()
        .map(|a| a.display_name.clone().unwrap_or_else(|| a.username.clone()))
        .unwrap_or_default();
    Ok(Some(Viewer {
        user_id: user,
        name,
        accounts,
        csrf: visitor.csrf.unwrap_or_default(),
    }))
}

/// The forges this installation signs in with.
#[server(endpoint = "sign_in_options")]
pub async fn sign_in_options() -> Result<Vec<SignInOption>, AppError> {
    use_context::<Vec<SignInOption>>().ok_or(AppError::Unavailable)
}

/// A page of the signed-in person's list under the filters of `query` (the
/// page's query string), after the cursor of the previous page.
#[server(endpoint = "issues")]
pub async fn list_issues(query: String, after: Option<String>) -> Result<IssuePage, AppError> {
    let user = user()?;
    Ok(tracker()?
        .list(user, &filter(&query)?, after.as_deref())
        .await?)
}

/// The list's total and each filter value's count under `query`'s filters.
#[server(endpoint = "issue_counts")]
pub async fn count_issues(query: String) -> Result<IssueCounts, AppError> {
    let user = user()?;
    Ok(tracker()?.counts(user, &filter(&query)?).await?)
}

#[server(endpoint = "subscriptions")]
pub async fn subscriptions() -> Result<Vec<Subscription>, AppError> {
    Ok(tracker()?.subscriptions(user()?).await?)
}

/// A page (from 1) of the repositories the person's accounts may read.
#[server(endpoint = "readable")]
pub async fn readable_repositories(search: String, page: u32) -> Result<ReadablePage, AppError> {
    Ok(tracker()?.readable(user()?, &search, page).await?)
}

/// Lists again, from the forges, what the person's accounts may read.
#[server(endpoint = "refresh_readable")]
pub async fn refresh_readable(csrf: String) -> Result<(), AppError> {
    let user = user_sending(&csrf)?;
    tracker()?.refresh_readable(user, true).await?;
    Ok(())
}

/// Subscribes to one of the repositories an account may read.
#[server(endpoint = "subscribe")]
pub async fn subscribe(
    csrf: String,
    account: AccountId,
    repository: String,
) -> Result<RepoId, AppError> {
    let user = user_sending(&csrf)?;
    let repo = tracker()?
        .subscribe_readable(user, account, &repository)
        .await?;
    leptos_axum::redirect("/subscriptions");
    Ok(repo)
}

/// Subscribes to the repository at an address (or `forge:path`).
#[server(endpoint = "subscribe_address")]
pub async fn subscribe_address(csrf: String, address: String) -> Result<RepoId, AppError> {
    let user = user_sending(&csrf)?;
    let repo = tracker()?
        .subscribe_address(user, &address)
        .await
        .map_err(|e| AppError::from(e).in_field("address"))?;
    leptos_axum::redirect("/subscriptions");
    Ok(repo)
}

#[server(endpoint = "unsubscribe")]
pub async fn unsubscribe(csrf: String, repo: RepoId) -> Result<(), AppError> {
    let user = user_sending(&csrf)?;
    tracker()?.unsubscribe(user, repo).await?;
    leptos_axum::redirect("/subscriptions");
    Ok(())
}

/// Syncs a subscribed repository before the others.
#[server(endpoint = "sync_now")]
pub async fn sync_now(csrf: String, repo: RepoId) -> Result<(), AppError> {
    let user = user_sending(&csrf)?;
    tracker()?.sync_now(user, repo).await?;
    leptos_axum::redirect("/subscriptions");
    Ok(())
}

/// Unlinks one of the person's forge accounts.
#[server(endpoint = "unlink_account")]
pub async fn unlink_account(csrf: String, account: AccountId) -> Result<(), AppError> {
    let user = user_sending(&csrf)?;
    let left = tracker()?.accounts().unlink(user, account).await?;
    // The last account unlinked: the person is gone, and so is their session.
    if !left && let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::HeaderName::from_static(crate::visitor::END_SESSION_HEADER),
            http::HeaderValue::from_static("1"),
        );
    }
    leptos_axum::redirect(if left { "/subscriptions" } else { "/" });
    Ok(())
}
