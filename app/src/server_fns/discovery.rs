//! Discovery's server functions: the `/discover` lists (read exactly as
//! `/api/v1` reads them), a developer's network, and the task runs. Reads
//! are public, as the API's are; starting a run needs a session.

use leptos::prelude::*;
use model::discovery::{Developer, DeveloperNetwork, Page, Repository};
use model::ids::{DeveloperId, TaskRunId};
use model::tasks::{TaskRunDetail, TasksOverview};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::context::{discovery, store, user_sending};

/// Where run and resource links point: the REST API.
#[cfg(feature = "ssr")]
const API: &str = "/api/v1";

/// A page of developers under `query` (the API's parameters: filters,
/// ordering and cursor); `next` is the page's address on `/discover`.
#[server(endpoint = "discover_developers")]
pub async fn discover_developers(query: String) -> Result<Page<Developer>, AppError> {
    use engine::store::discovery_list::Developers;
    crate::lists::developer_page(&store()?, Developers::All, Some(&query), "/discover", API).await
}

/// A page of repositories under `query`.
#[server(endpoint = "discover_repositories")]
pub async fn discover_repositories(query: String) -> Result<Page<Repository>, AppError> {
    use engine::store::discovery_list::Repositories;
    let path = "/discover/repositories";
    crate::lists::repository_page(&store()?, Repositories::All, Some(&query), path, API).await
}

/// A developer, their followers and whom they follow (the most followed
/// first, up to [`model::discovery::NETWORK_SHOWN`] of each).
#[server(endpoint = "network_of")]
pub async fn network_of(id: DeveloperId) -> Result<DeveloperNetwork, AppError> {
    use engine::store::discovery_list::Developers;
    let store = store()?;
    let developer = store
        .developer(id, API)
        .await?
        .ok_or_else(|| AppError::not_found(format!("developer {id}")))?;
    let query = format!(
        "ordering=-followers&page_size={}",
        model::discovery::NETWORK_SHOWN
    );
    let side = |scope| {
        let store = store.clone();
        let query = query.clone();
        async move { crate::lists::developer_page(&store, scope, Some(&query), "", API).await }
    };
    let followers = side(Developers::FollowersOf(id)).await?;
    let following = side(Developers::FollowedBy(id)).await?;
    Ok(DeveloperNetwork {
        developer,
        followers_total: followers.count,
        followers: followers.results,
        following_total: following.count,
        following: following.results,
    })
}

/// The task types, schedules and the latest runs.
#[server(endpoint = "task_runs")]
pub async fn task_runs() -> Result<TasksOverview, AppError> {
    let store = store()?;
    let prefix = format!("{API}/tasks");
    Ok(TasksOverview {
        as_of: chrono::Utc::now(),
        types: model::tasks::TaskName::ALL
            .into_iter()
            .map(Into::into)
            .collect(),
        schedules: store.schedules().await?,
        recent: store.recent_runs(10, &prefix).await?,
    })
}

/// One run and its children.
#[server(endpoint = "run_detail")]
pub async fn run_detail(id: TaskRunId) -> Result<TaskRunDetail, AppError> {
    let store = store()?;
    let prefix = format!("{API}/tasks");
    let run = store
        .task_run(id, &prefix)
        .await?
        .ok_or_else(|| AppError::not_found(format!("task run {id}")))?;
    let children = store.child_runs(id, &prefix).await?;
    Ok(TaskRunDetail { run, children })
}

/// Starts a run from the page's form; fields the chosen task does not
/// take are left empty by the form and ignored here.
#[server(endpoint = "start_task")]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per form field, as server functions take forms"
)]
pub async fn start_task(
    csrf: String,
    name: String,
    forge: Option<String>,
    username: Option<String>,
    owner: Option<String>,
    repository: Option<String>,
    count: Option<String>,
) -> Result<TaskRunId, AppError> {
    let user = user_sending(&csrf)?;
    let takes = model::tasks::TaskName::from_key(&name)
        .map(model::tasks::TaskName::parameters)
        .unwrap_or_default();
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), name.into());
    for (field, value) in [
        ("forge", forge),
        ("username", username),
        ("owner", owner),
        ("repository", repository),
    ] {
        if let Some(value) = value.filter(|v| !v.trim().is_empty())
            && takes.iter().any(|p| p.name == field)
        {
            fields.insert(field.into(), value.into());
        }
    }
    if let Some(count) = count.filter(|v| !v.trim().is_empty())
        && takes.iter().any(|p| p.name == "count")
    {
        let number = count
            .trim()
            .parse::<u64>()
            .map_err(|_| AppError::invalid("count", format!("`{count}` is not a whole number")))?;
        fields.insert("count".into(), number.into());
    }
    let request = model::tasks::TaskRequest::from_json(&serde_json::Value::Object(fields))
        .map_err(|p| AppError::invalid(p.field, p.message))?;
    Ok(discovery()?
        .submit(&request, &format!("user:{user}"))
        .await?)
}
