//! `/discover` and `/discover/repositories`: the developers and
//! repositories discovery found, under the same filters as `/api/v1`
//! (they live in the address, so a filtered list can be shared), a page at
//! a time as the end of the list comes into view; above them, the form
//! that starts a crawl and the latest runs with their progress.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;
use model::discovery::{Developer, Page, Repository};
use model::tasks::{TaskName, TaskRun, TaskState, TasksOverview};
use model::url::encode_component;

use crate::components::{Problem, age, grouped, paged};
use crate::error::AppError;
use crate::server_fns::discovery::{
    StartTask, discover_developers, discover_repositories, task_runs,
};
use crate::server_fns::viewer;

/// How often the runs are looked at again while one is unfinished.
const POLL_MS: u64 = 2000;

/// Which list the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Developers,
    Repositories,
}

impl Tab {
    fn path(self) -> &'static str {
        match self {
            Tab::Developers => "/discover",
            Tab::Repositories => "/discover/repositories",
        }
    }

    /// The filters the form shows: (name, label, kind of input).
    fn fields(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Tab::Developers => &[
                ("search", "Login or name", "text"),
                ("location", "Location", "text"),
                ("company", "Company", "text"),
                ("min_followers", "At least followers", "number"),
            ],
            Tab::Repositories => &[
                ("search", "Owner or name", "text"),
                ("language", "Language", "text"),
                ("topic", "Topic", "text"),
                ("min_stars", "At least stars", "number"),
            ],
        }
    }

    fn orderings(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Tab::Developers => &[
                ("", "First found"),
                ("-followers", "Most followers"),
                ("login", "Login"),
                ("-created_at", "Newest accounts"),
            ],
            Tab::Repositories => &[
                ("", "First found"),
                ("-stars", "Most stars"),
                ("-forks", "Most forks"),
                ("-pushed_at", "Recently pushed"),
                ("name", "Name"),
            ],
        }
    }
}

#[component]
pub fn DiscoverPage() -> impl IntoView {
    view! { <Discover tab=Tab::Developers /> }
}

#[component]
pub fn DiscoverRepositoriesPage() -> impl IntoView {
    view! { <Discover tab=Tab::Repositories /> }
}

#[component]
fn Discover(tab: Tab) -> impl IntoView {
    let query = use_query_map();
    // The list's parameters as the address has them; the server checks them.
    let filters = Memo::new(move |_| {
        let params = query.read();
        let pairs: Vec<(String, String)> = tab
            .fields()
            .iter()
            .map(|(name, _, _)| *name)
            .chain(["ordering", "cursor"])
            .filter_map(|name| params.get(name).map(|v| (name.to_owned(), v)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    });
    view! {
        <Title text="Discover" />
        <div class="discover">
            <div class="tracker__head">
                <h1 class="query-title">"Discover"</h1>
                <a href="/api/docs/" class="button button--small button--quiet">"API documentation"</a>
            </div>
            <Crawl />
            <nav class="tabs" aria-label="Lists">
                <A href="/discover" exact=true>"Developers"</A>
                <A href="/discover/repositories">"Repositories"</A>
            </nav>
            <Filters tab filters=query />
            {move || match tab {
                Tab::Developers => {
                    listing(filters.get(), discover_developers, "developers", developer_row, |d| d.id.0)
                        .into_any()
                }
                Tab::Repositories => {
                    listing(filters.get(), discover_repositories, "repositories", repository_row, |r| r.id.0)
                        .into_any()
                }
            }}
        </div>
    }
}

/// The filters: a GET form, so without JavaScript the browser submits it
/// and with it the router does; either way the address holds them.
#[component]
fn Filters(tab: Tab, filters: Memo<leptos_router::params::ParamsMap>) -> impl IntoView {
    let value = move |name: &str| filters.read().get(name).unwrap_or_default();
    view! {
        <Form method="GET" action=tab.path() attr:class="filters" attr:role="search">
            {tab
                .fields()
                .iter()
                .map(|(name, label, kind)| {
                    let id = format!("filter-{name}");
                    let target = id.clone();
                    view! {
                        <label class="field" for=target>
                            <span class="field__label">{*label}</span>
                            <input id=id name=*name type=*kind min="0" value=value(name) />
                        </label>
                    }
                })
                .collect_view()}
            <label class="field" for="filter-ordering">
                <span class="field__label">"Order"</span>
                <select id="filter-ordering" name="ordering">
                    {tab
                        .orderings()
                        .iter()
                        .map(|(key, label)| {
                            let selected = value("ordering") == *key;
                            view! { <option value=*key selected=selected>{*label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class="button">"Filter"</button>
        </Form>
    }
}

fn count_line(count: u64, what: &str) -> String {
    let noun = if count == 1 {
        what.trim_end_matches('s')
    } else {
        what
    };
    format!("{} {noun}", grouped(count))
}

/// A list that starts with the page `fetch(query)` answers and grows by the
/// next page's address (its query holds the filters and the cursor).
fn listing<T, F, Fut, V>(
    query: String,
    fetch: F,
    noun: &'static str,
    row: fn(T) -> V,
    key: fn(&T) -> i64,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, AppError>> + Send + 'static,
    V: IntoView + 'static,
{
    let first = Resource::new(move || query.clone(), {
        let fetch = fetch.clone();
        move |query| fetch(query)
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let fetch = fetch.clone();
                first
                    .get()
                    .map(move |result| match result {
                        Err(error) => view! { <Problem error /> }.into_any(),
                        Ok(page) if page.results.is_empty() => {
                            view! { <p class="empty" data-testid="empty">{format!("No {noun} match. Start a crawl above, or loosen the filters.")}</p> }
                                .into_any()
                        }
                        Ok(page) => {
                            let count = page.count;
                            let (items, more) = paged(
                                page.results,
                                page.next,
                                move |after: String| {
                                    let query = after.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default();
                                    let page = fetch(query);
                                    async move { page.await.map(|p| (p.results, p.next)) }
                                },
                                |after: &str| after.to_owned(),
                            );
                            view! {
                                <section class="list" aria-label=noun>
                                    <p class="muted" data-testid="count">{count_line(count, noun)}</p>
                                    <ol class="people-list">
                                        <For each=move || items.get() key=key let:item>
                                            {row(item)}
                                        </For>
                                    </ol>
                                    {more}
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

fn developer_row(developer: Developer) -> impl IntoView {
    let href = format!("/discover/developers/{}", developer.id);
    let numbers = format!(
        "{} followers · {} following · {} repositories",
        developer.followers.map_or("?".into(), grouped),
        developer.following.map_or("?".into(), grouped),
        developer.public_repos.map_or("?".into(), grouped),
    );
    let place = [developer.location.clone(), developer.company.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let synced = if developer.synced_at.is_some() {
        "synced"
    } else {
        "not synced yet"
    };
    view! {
        <li class="people-list__item" data-testid="developer">
            <a href=href class="people-list__login">{developer.login.clone()}</a>
            {developer.name.clone().map(|n| view! { <span class="people-list__name">{n}</span> })}
            <span class="muted">{place}</span>
            <span class="people-list__numbers">{numbers}</span>
            <span class="badge">{synced}</span>
        </li>
    }
}

fn repository_row(repository: Repository) -> impl IntoView {
    let name = format!("{}/{}", repository.owner_login, repository.name);
    let web = format!("https://{}/{name}", repository.instance);
    let numbers = format!(
        "{} stars · {} forks · {} open issues",
        grouped(repository.stars),
        grouped(repository.forks),
        grouped(repository.open_issues),
    );
    let owner = repository
        .owner
        .map(|id| view! { <a href=format!("/discover/developers/{id}") class="muted">"owner"</a> });
    view! {
        <li class="people-list__item" data-testid="repository">
            <a href=web class="people-list__login" rel="noopener">{name}</a>
            {repository.language.clone().map(|l| view! { <span class="badge">{l}</span> })}
            <span class="people-list__numbers">{numbers}</span>
            {(!repository.topics.is_empty()).then(|| view! { <span class="muted">{repository.topics.join(", ")}</span> })}
            {repository.fork.then(|| view! { <span class="badge">"fork"</span> })}
            {repository.archived.then(|| view! { <span class="badge">"archived"</span> })}
            {owner}
        </li>
    }
}

/// Starting a crawl, and how the latest runs stand.
#[component]
fn Crawl() -> impl IntoView {
    let start = ServerAction::<StartTask>::new();
    let runs = Resource::new(move || start.version().get(), |_| task_runs());
    // While a run is unfinished, look again (one look pending at a time).
    let looking = StoredValue::new(false);
    Effect::new(move |_| {
        let busy = runs
            .get()
            .and_then(Result::ok)
            .is_some_and(|o| o.recent.iter().any(|r| !r.state.is_finished()));
        if busy && !looking.get_value() {
            looking.set_value(true);
            set_timeout(
                move || {
                    looking.set_value(false);
                    runs.refetch();
                },
                std::time::Duration::from_millis(POLL_MS),
            );
        }
    });
    view! {
        <section class="panel" aria-labelledby="crawl-title">
            <h2 id="crawl-title" class="section-title">"Crawl"</h2>
            <StartForm start />
            <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
                {move || {
                    runs.get()
                        .map(|result| match result {
                            Ok(overview) => view! { <Runs overview /> }.into_any(),
                            Err(error) => view! { <Problem error /> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// The form that starts a run: signed-in people only (the API takes a
/// token instead).
#[component]
fn StartForm(start: ServerAction<StartTask>) -> impl IntoView {
    let viewer = viewer();
    let chosen = RwSignal::new(TaskName::FullProfileSync.key().to_owned());
    let takes = move |field: &'static str| {
        move || {
            TaskName::from_key(&chosen.get())
                .is_some_and(|n| n.parameters().iter().any(|p| p.name == field))
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || {
                viewer.get().map(|result| match result.ok().flatten() {
                    None => view! {
                        <p class="muted">
                            <a href="/sign-in?next=/discover">"Sign in"</a>
                            " to start a crawl here, or send "<code>"POST /api/v1/tasks"</code>" with an API token."
                        </p>
                    }.into_any(),
                    Some(viewer) => view! {
                        <ActionForm action=start attr:class="form form--inline crawl-form">
                            <input type="hidden" name="csrf" value=viewer.csrf />
                            <label class="field" for="task-name">
                                <span class="field__label">"Task"</span>
                                <select id="task-name" name="name" on:change=move |ev| chosen.set(event_target_value(&ev))>
                                    {TaskName::ALL.iter().map(|n| view! { <option value=n.key()>{n.key()}</option> }).collect_view()}
                                </select>
                            </label>
                            <input type="hidden" name="forge" value="github" />
                            <label class="field" for="task-username" class:hidden=move || !takes("username")()>
                                <span class="field__label">"Username"</span>
                                <input id="task-username" name="username" type="text" placeholder="a GitHub login" />
                            </label>
                            <label class="field" for="task-owner" class:hidden=move || !takes("owner")()>
                                <span class="field__label">"Owner"</span>
                                <input id="task-owner" name="owner" type="text" />
                            </label>
                            <label class="field" for="task-repository" class:hidden=move || !takes("repository")()>
                                <span class="field__label">"Repository"</span>
                                <input id="task-repository" name="repository" type="text" />
                            </label>
                            <label class="field" for="task-count" class:hidden=move || !takes("count")()>
                                <span class="field__label">"Developers"</span>
                                <input id="task-count" name="count" type="number" min="1" max="100" value="5" />
                            </label>
                            <button type="submit" class="button">"Start"</button>
                        </ActionForm>
                        {move || start.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
                    }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn Runs(overview: TasksOverview) -> impl IntoView {
    let now = overview.as_of;
    let schedules = overview
        .schedules
        .iter()
        .map(|s| {
            let last = s
                .last_run_at
                .map_or_else(|| "never yet".to_owned(), |at| age(at, now));
            format!("{}: every {} s, last {last}", s.name, s.every_seconds)
        })
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <p class="muted" data-testid="schedules">
            {if schedules.is_empty() { "The scheduler has not run yet.".to_owned() } else { schedules }}
        </p>
        {if overview.recent.is_empty() {
            view! { <p class="muted">"No runs yet."</p> }.into_any()
        } else {
            view! {
                <ol class="runs">
                    {overview.recent.into_iter().map(run_row).collect_view()}
                </ol>
            }
                .into_any()
        }}
    }
}

fn run_row(run: TaskRun) -> impl IntoView {
    let what = run
        .parameters
        .as_object()
        .map(|map| {
            map.iter()
                .filter(|(k, _)| *k != "forge")
                .map(|(k, v)| {
                    format!(
                        "{k} {}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let state = run.state.key();
    let progress = run.progress.clone();
    let detail = match run.state {
        TaskState::Failed => run.error.clone().unwrap_or_default(),
        TaskState::Deferred => run
            .deferred_until
            .map(|t| {
                format!(
                    "waiting for the rate limit until {}",
                    t.format("%H:%M:%S UTC")
                )
            })
            .unwrap_or_default(),
        _ => progress.step.clone().unwrap_or_default(),
    };
    view! {
        <li class="runs__item" data-testid="run" data-state=state>
            <span class="runs__name">{run.name.key()}</span>
            <span class="muted">{what}</span>
            <progress max=progress.total.max(1) value=progress.done aria-label="progress"></progress>
            <span class="runs__state">{format!("{state} · {} of {}", progress.done, progress.total)}</span>
            <span class="muted runs__detail">{detail}</span>
            <a href=run.url.clone() class="muted">"JSON"</a>
        </li>
    }
}
