//! Discovery's tasks: what can be asked for (`POST /api/v1/tasks`), how a
//! run stands, and the periodic schedules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::forge::Forge;
use crate::ids::TaskRunId;

/// The scraper's `count` when none is given, and the most one run takes.
pub const DEFAULT_SCRAPE_COUNT: u32 = 5;
pub const MAX_SCRAPE_COUNT: u32 = 100;

/// The kinds of task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskName {
    FullProfileSync,
    FullRepositorySync,
    DiscoveryScraper,
}

impl TaskName {
    pub const ALL: [TaskName; 3] = [
        TaskName::FullProfileSync,
        TaskName::FullRepositorySync,
        TaskName::DiscoveryScraper,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TaskName::FullProfileSync => "full_profile_sync",
            TaskName::FullRepositorySync => "full_repository_sync",
            TaskName::DiscoveryScraper => "discovery_scraper",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.key() == key)
    }

    pub fn description(self) -> &'static str {
        match self {
            TaskName::FullProfileSync => {
                "A developer, their followers, following, starred repositories, their own \
                 repositories and each one's stargazers."
            }
            TaskName::FullRepositorySync => "A repository, its owner and its stargazers.",
            TaskName::DiscoveryScraper => {
                "Full profile syncs of the `count` developers nearest to the seeds whose \
                 sync is stale or missing; everyone they meet joins the frontier."
            }
        }
    }

    /// The parameters the task takes, in the order a form shows them.
    pub fn parameters(self) -> Vec<TaskParameter> {
        let forge = TaskParameter {
            name: "forge".into(),
            kind: ParameterKind::Forge,
            required: false,
            default: Some("github".into()),
            description: "The forge to read (GitHub: the only one with follows and stars).".into(),
        };
        let text = |name: &str, description: &str| TaskParameter {
            name: name.into(),
            kind: ParameterKind::Text,
            required: true,
            default: None,
            description: description.into(),
        };
        match self {
            TaskName::FullProfileSync => {
                vec![forge, text("username", "The developer's login.")]
            }
            TaskName::FullRepositorySync => vec![
                forge,
                text("owner", "The login of the repository's owner."),
                text("repository", "The repository's name."),
            ],
            TaskName::DiscoveryScraper => vec![
                forge,
                TaskParameter {
                    name: "count".into(),
                    kind: ParameterKind::Count,
                    required: false,
                    default: Some(DEFAULT_SCRAPE_COUNT.to_string()),
                    description: format!("How many developers to sync, 1 to {MAX_SCRAPE_COUNT}."),
                },
            ],
        }
    }
}

impl std::fmt::Display for TaskName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// What a parameter holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ParameterKind {
    Forge,
    Text,
    Count,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskParameter {
    pub name: String,
    pub kind: ParameterKind,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
}

/// A task type as `GET /api/v1/tasks` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskType {
    pub name: TaskName,
    pub description: String,
    pub parameters: Vec<TaskParameter>,
}

impl From<TaskName> for TaskType {
    fn from(name: TaskName) -> Self {
        Self {
            name,
            description: name.description().into(),
            parameters: name.parameters(),
        }
    }
}

/// A task asked for, checked: what a run is made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum TaskRequest {
    FullProfileSync {
        forge: Forge,
        username: String,
    },
    FullRepositorySync {
        forge: Forge,
        owner: String,
        repository: String,
    },
    DiscoveryScraper {
        forge: Forge,
        count: u32,
    },
}

/// Why a request is not a task, and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestProblem {
    pub field: String,
    pub message: String,
}

fn problem(field: &str, message: impl Into<String>) -> RequestProblem {
    RequestProblem {
        field: field.into(),
        message: message.into(),
    }
}

impl TaskRequest {
    pub fn name(&self) -> TaskName {
        match self {
            TaskRequest::FullProfileSync { .. } => TaskName::FullProfileSync,
            TaskRequest::FullRepositorySync { .. } => TaskName::FullRepositorySync,
            TaskRequest::DiscoveryScraper { .. } => TaskName::DiscoveryScraper,
        }
    }

    pub fn forge(&self) -> Forge {
        match self {
            TaskRequest::FullProfileSync { forge, .. }
            | TaskRequest::FullRepositorySync { forge, .. }
            | TaskRequest::DiscoveryScraper { forge, .. } => *forge,
        }
    }

    /// The parameters alone, as a run shows them.
    pub fn parameters(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.remove("name");
        }
        value
    }

    /// Reads a request as `POST /api/v1/tasks` takes it: `{"name": …}` and
    /// the task's parameters, each checked, the first problem naming its
    /// field. Fields the task does not take are problems too.
    pub fn from_json(value: &Value) -> Result<Self, RequestProblem> {
        let Value::Object(map) = value else {
            return Err(problem("body", "must be a JSON object"));
        };
        let name = match map.get("name") {
            None | Some(Value::Null) => return Err(problem("name", "is required")),
            Some(Value::String(name)) => TaskName::from_key(name).ok_or_else(|| {
                problem(
                    "name",
                    format!("`{name}` is not a task; use {}", task_names()),
                )
            })?,
            Some(_) => return Err(problem("name", "must be a string")),
        };
        let parameters = name.parameters();
        if let Some(unknown) = map
            .keys()
            .find(|k| *k != "name" && !parameters.iter().any(|p| &p.name == *k))
        {
            let known: Vec<_> = parameters.iter().map(|p| p.name.as_str()).collect();
            return Err(problem(
                unknown,
                format!("{name} takes no `{unknown}`; it takes {}", known.join(", ")),
            ));
        }
        let forge = forge_field(map)?;
        Ok(match name {
            TaskName::FullProfileSync => TaskRequest::FullProfileSync {
                forge,
                username: login_field(map, forge, "username")?,
            },
            TaskName::FullRepositorySync => TaskRequest::FullRepositorySync {
                forge,
                owner: login_field(map, forge, "owner")?,
                repository: repository_field(map)?,
            },
            TaskName::DiscoveryScraper => TaskRequest::DiscoveryScraper {
                forge,
                count: count_field(map)?,
            },
        })
    }
}

fn task_names() -> String {
    TaskName::ALL
        .iter()
        .map(|n| n.key())
        .collect::<Vec<_>>()
        .join(", ")
}

fn text_field<'a>(map: &'a Map<String, Value>, field: &str) -> Result<&'a str, RequestProblem> {
    match map.get(field) {
        None | Some(Value::Null) => Err(problem(field, "is required")),
        Some(Value::String(text)) if text.trim().is_empty() => {
            Err(problem(field, "must not be empty"))
        }
        Some(Value::String(text)) => Ok(text.trim()),
        Some(_) => Err(problem(field, "must be a string")),
    }
}

fn forge_field(map: &Map<String, Value>) -> Result<Forge, RequestProblem> {
    match map.get("forge") {
        None | Some(Value::Null) => Ok(Forge::GitHub),
        Some(Value::String(key)) => Forge::from_key(key).ok_or_else(|| {
            problem(
                "forge",
                format!(
                    "`{key}` is not a forge; use github, gitlab, bitbucket, gerrit or phabricator"
                ),
            )
        }),
        Some(_) => Err(problem("forge", "must be a string")),
    }
}

fn login_field(
    map: &Map<String, Value>,
    forge: Forge,
    field: &str,
) -> Result<String, RequestProblem> {
    let login = text_field(map, field)?;
    forge
        .check_username(login)
        .map_err(|message| problem(field, message))?;
    Ok(login.to_owned())
}

fn repository_field(map: &Map<String, Value>) -> Result<String, RequestProblem> {
    let name = text_field(map, "repository")?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.len() > 100 || !name.chars().all(allowed) || name == "." || name == ".." {
        return Err(problem(
            "repository",
            format!(
                "`{name}` is not a repository name (letters, digits, `-`, `_` and `.`, at most 100)"
            ),
        ));
    }
    Ok(name.to_owned())
}

fn count_field(map: &Map<String, Value>) -> Result<u32, RequestProblem> {
    match map.get("count") {
        None | Some(Value::Null) => Ok(DEFAULT_SCRAPE_COUNT),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=MAX_SCRAPE_COUNT).contains(n))
            .ok_or_else(|| {
                problem(
                    "count",
                    format!("{n} is out of range; use 1 to {MAX_SCRAPE_COUNT}"),
                )
            }),
        Some(_) => Err(problem("count", "must be a whole number")),
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskState {
    /// Waiting for a worker.
    Queued,
    Running,
    /// Its share of the forge's rate limit is spent; it goes on at
    /// `deferred_until`, from where it stopped.
    Deferred,
    Succeeded,
    Failed,
}

impl TaskState {
    pub const ALL: [TaskState; 5] = [
        TaskState::Queued,
        TaskState::Running,
        TaskState::Deferred,
        TaskState::Succeeded,
        TaskState::Failed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Deferred => "deferred",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, TaskState::Succeeded | TaskState::Failed)
    }
}

/// How far a run got: `done` of `total` steps (the total grows as a run
/// learns what it must read), and what it is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskProgress {
    pub done: u32,
    pub total: u32,
    pub step: Option<String>,
}

/// One run of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskRun {
    pub id: TaskRunId,
    pub name: TaskName,
    /// The task's parameters, as asked for.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: Value,
    pub state: TaskState,
    pub progress: TaskProgress,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// `schedule`, `user:<id>` or `token:<id>`.
    pub requested_by: String,
    /// The scraper run this profile sync is part of.
    pub parent: Option<TaskRunId>,
    /// The process that started it last (host and process id).
    pub worker: Option<String>,
    pub deferred_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// This run's address in the API.
    pub url: String,
}

/// A run with the runs it is made of (a scraper's profile syncs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskRunDetail {
    #[serde(flatten)]
    pub run: TaskRun,
    pub children: Vec<TaskRun>,
}

/// A periodic piece of work and when it last ran, in any process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Schedule {
    /// `discovery` or `heartbeat`.
    pub name: String,
    pub every_seconds: u64,
    pub last_run_at: Option<DateTime<Utc>>,
    /// The process that ran it (host and process id).
    pub last_run_by: Option<String>,
    pub next_at: DateTime<Utc>,
    pub runs: u64,
}

/// `GET /api/v1/tasks`: what can be run, the schedules, and recent runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TasksOverview {
    /// When this answer was made (ages on a page count from it).
    pub as_of: DateTime<Utc>,
    pub types: Vec<TaskType>,
    pub schedules: Vec<Schedule>,
    /// The latest runs asked for (a scraper's profile syncs are listed
    /// under it, at their own addresses), newest first.
    pub recent: Vec<TaskRun>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(value: Value) -> String {
        TaskRequest::from_json(&value).unwrap_err().field
    }

    #[test]
    fn a_request_reads_with_defaults() {
        let request = TaskRequest::from_json(&json!({"name": "discovery_scraper"})).unwrap();
        assert_eq!(
            request,
            TaskRequest::DiscoveryScraper {
                forge: Forge::GitHub,
                count: DEFAULT_SCRAPE_COUNT
            }
        );
        assert_eq!(request.parameters(), json!({"forge": "github", "count": 5}));
        let sync = json!({"name": "full_repository_sync", "owner": "a", "repository": "b.rs"});
        assert_eq!(
            TaskRequest::from_json(&sync).unwrap().name(),
            TaskName::FullRepositorySync
        );
    }

    #[test]
    fn each_problem_names_its_field() {
        assert_eq!(field_of(json!([])), "body");
        assert_eq!(field_of(json!({})), "name");
        assert_eq!(field_of(json!({"name": "nope"})), "name");
        assert_eq!(field_of(json!({"name": "full_profile_sync"})), "username");
        assert_eq!(
            field_of(json!({"name": "full_profile_sync", "username": "a b"})),
            "username"
        );
        assert_eq!(
            field_of(json!({"name": "full_profile_sync", "username": "a", "forge": "x"})),
            "forge"
        );
        assert_eq!(
            field_of(json!({"name": "full_profile_sync", "username": "a", "extra": 1})),
            "extra"
        );
        assert_eq!(
            field_of(json!({"name": "discovery_scraper", "count": 0})),
            "count"
        );
        assert_eq!(
            field_of(json!({"name": "discovery_scraper", "count": "5"})),
            "count"
        );
        assert_eq!(
            field_of(json!({"name": "full_repository_sync", "owner": "a", "repository": "../x"})),
            "repository"
        );
    }

    #[test]
    fn a_request_round_trips_through_its_stored_form() {
        let request = TaskRequest::FullProfileSync {
            forge: Forge::GitHub,
            username: "octo".into(),
        };
        let stored = serde_json::to_value(&request).unwrap();
        assert_eq!(TaskRequest::from_json(&stored).unwrap(), request);
    }
}
