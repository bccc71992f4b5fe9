//! `/issues`: one list of the items of every repository the signed-in
//! person subscribes to, newest activity first, a page at a time as the
//! end of the list comes into view. Filters (forge, repository, state,
//! label, assignee, author, words) live in the address, so a filtered list
//! can be bookmarked, shared with oneself, and reloaded; each filter's
//! values show how many items choosing them would list.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;
use model::contribution::Status;
use model::tracker::{Facet, FacetCount, IssueCounts, IssueFilter, IssuePage, IssueRow};

use model::url::web_link;

use crate::components::{Problem, age, grouped, paged};
use crate::error::AppError;
use crate::server_fns::tracker::{count_issues, list_issues};

/// The address parameters that are filters.
const FILTER_KEYS: [&str; 7] = ["forge", "repo", "state", "label", "assignee", "author", "q"];

#[component]
pub fn IssuesPage() -> impl IntoView {
    let query = use_query_map();
    // The filters as the address has them, checked.
    let filter = Memo::new(move |_| {
        let params = query.read();
        let pairs: Vec<(&str, String)> = FILTER_KEYS
            .iter()
            .filter_map(|key| params.get(key).map(|v| (*key, v)))
            .collect();
        IssueFilter::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    });
    let filter_query = move || filter.get().map(|f| f.query());
    let after = move || query.read().get("after");
    let counts = Resource::new(filter_query, |query| async move {
        match query {
            Ok(query) => count_issues(query).await,
            Err(e) => Err(AppError::invalid(e.field, e.message)),
        }
    });
    let first = Resource::new(
        move || (filter_query(), after()),
        |(query, after)| async move {
            match query {
                Ok(query) => list_issues(query, after).await,
                Err(e) => Err(AppError::invalid(e.field, e.message)),
            }
        },
    );
    view! {
        <Title text="Issues" />
        <div class="tracker">
            <div class="tracker__head">
                <h1 class="query-title">"Issues"</h1>
                <A href="/subscriptions" attr:class="button button--small button--quiet">"Manage subscriptions"</A>
            </div>
            <Search filter />
            <div class="tracker__body">
            <aside class="tracker__side">
            <Transition fallback=|| view! { <p class="muted">"Counting…"</p> }>
                {move || {
                    counts
                        .get()
                        .map(|result| match (result, filter.get()) {
                            (Ok(counts), Ok(filter)) => view! { <Facets counts filter /> }.into_any(),
                            (Err(AppError::Unauthorized), _) => view! { <SignInFirst /> }.into_any(),
                            (Err(error), _) => {
                                view! { <Problem error /> }.into_any()
                            }
                            (_, Err(error)) => {
                                let error = AppError::invalid(error.field, error.message);
                                view! { <Problem error /> }.into_any()
                            }
                        })
                }}
            </Transition>
            </aside>
            <div class="tracker__main">
            <Transition fallback=|| ()>
                {move || {
                    let filter = filter.get().ok()?;
                    let page = first.get()?.ok()?;
                    let empty = page.items.is_empty() && after().is_none();
                    Some(if empty {
                        view! { <Empty filtered=!filter.is_empty() /> }.into_any()
                    } else {
                        view! { <IssueList filter page /> }.into_any()
                    })
                }}
            </Transition>
            </div>
            </div>
        </div>
    }
}

#[component]
fn SignInFirst() -> impl IntoView {
    view! {
        <p class="failure" role="alert">
            "Sign in to see the issues of your repositories. " <a href="/sign-in?next=/issues">"Sign in"</a>
        </p>
    }
}

#[component]
fn Empty(filtered: bool) -> impl IntoView {
    if filtered {
        view! {
            <p class="empty" data-testid="empty">
                "Nothing matches these filters. " <A href="/issues">"Clear all filters"</A>
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="empty" data-testid="empty">
                "No issues yet: subscribe to repositories, and their issues appear here as they sync. "
                <A href="/subscriptions">"Manage subscriptions"</A>
            </p>
        }
        .into_any()
    }
}

/// Words to look for, keeping the other filters. A GET form: without
/// JavaScript the browser submits it, with it the router does.
#[component]
fn Search(filter: Memo<Result<IssueFilter, model::tracker::FilterError>>) -> impl IntoView {
    let current = move || filter.get().ok().unwrap_or_default();
    view! {
        <Form method="GET" action="/issues" attr:class="tracker__search" attr:role="search">
            {move || {
                current()
                    .to_pairs()
                    .into_iter()
                    .filter(|(key, _)| *key != "q")
                    .map(|(key, value)| view! { <input type="hidden" name=key value=value /> })
                    .collect_view()
            }}
            <label class="visually-hidden" for="issue-search">"Words in the title or text"</label>
            <input
                id="issue-search"
                type="search"
                name="q"
                placeholder="Search titles and text"
                prop:value=move || current().q.unwrap_or_default()
            />
            <button type="submit" class="button button--small">"Search"</button>
        </Form>
    }
}

/// Each facet's values with their counts; choosing one keeps the others.
#[component]
fn Facets(counts: IssueCounts, filter: IssueFilter) -> impl IntoView {
    let total = counts.total;
    view! {
        <p class="total">
            <strong class="total__number" data-testid="issue-total" data-count=total>{grouped(total)}</strong>
            {if total == 1 { " item" } else { " items" }}
            {(!filter.is_empty()).then(|| view! { " · " <A href="/issues">"Clear filters"</A> })}
        </p>
        <nav class="facets" aria-label="Filters">
            {Facet::ALL
                .into_iter()
                .map(|facet| {
                    let values = counts.facet(facet).to_vec();
                    let chosen = filter.get(facet);
                    facet_view(facet, values, chosen, &filter)
                })
                .collect_view()}
        </nav>
    }
}

fn facet_view(
    facet: Facet,
    values: Vec<FacetCount>,
    chosen: Option<String>,
    filter: &IssueFilter,
) -> Option<impl IntoView + use<>> {
    let clear = chosen.is_some().then(|| filter.with(facet, None).href());
    let links: Vec<_> = values
        .into_iter()
        .map(|value| {
            let selected = chosen.as_deref() == Some(value.value.as_str());
            let href = if selected {
                filter.with(facet, None).href()
            } else {
                filter.with(facet, Some(&value.value)).href()
            };
            (value, selected, href)
        })
        .collect();
    if links.is_empty() && clear.is_none() {
        return None;
    }
    let open = chosen.is_some() || matches!(facet, Facet::Forge | Facet::State);
    Some(view! {
        <details class="facet" open=open data-facet=facet.key()>
            <summary>{facet.label()}</summary>
            <ul class="facet__values">
                {links
                    .into_iter()
                    .map(|(value, selected, href)| {
                        view! {
                            <li>
                                <A href=href attr:class=if selected { "facet__value facet__value--chosen" } else { "facet__value" } attr:aria-current=selected.then_some("true")>
                                    <span class="facet__label">{value.label}</span>
                                    <span class="facet__count" data-count=value.count>{grouped(value.count)}</span>
                                </A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {clear.map(|href| view! { <A href=href attr:class="facet__clear">"Any "{facet.label().to_lowercase()}</A> })}
        </details>
    })
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Open => "badge badge--open",
        Status::Merged => "badge badge--merged",
        _ => "badge",
    }
}

fn issue_view(
    item: IssueRow,
    filter: &IssueFilter,
    as_of: chrono::DateTime<chrono::Utc>,
) -> impl IntoView + use<> {
    let updated = age(item.updated_at, as_of);
    let labels: Vec<(String, String)> = item
        .labels
        .iter()
        .map(|l| (l.clone(), filter.with(Facet::Label, Some(l)).href()))
        .collect();
    let repo_href = filter
        .with(Facet::Repo, Some(&item.repo_id.to_string()))
        .href();
    let comments = item.comments;
    view! {
        <li class="issue" data-testid="issue">
            <div class="issue__line">
                <span class=format!("forge-tag forge-tag--{}", item.forge.key())>{item.forge.name()}</span>
                <A href=repo_href attr:class="issue__repo">{item.repository}</A>
                <span class="issue__number">"#"{item.number}</span>
                <span class=status_class(item.status)>{item.status.label()}</span>
            </div>
            <a class="issue__title" href=web_link(&item.url) rel="noopener noreferrer" target="_blank">{item.title}</a>
            <div class="issue__line issue__meta">
                {(!labels.is_empty()).then(|| view! {
                    <ul class="issue__labels" aria-label="Labels">
                        {labels.into_iter().map(|(label, href)| view! { <li><A href=href attr:class="label">{label}</A></li> }).collect_view()}
                    </ul>
                })}
                <span class="issue__comments">{comments}{if comments == 1 { " comment" } else { " comments" }}</span>
                <time class="issue__age" datetime=item.updated_at.to_rfc3339()>{"updated "}{updated}</time>
                {item.author.map(|a| view! { <span class="issue__author">"by "{a}</span> })}
            </div>
        </li>
    }
}

/// The list: the first page from the server, then the next ones as the end
/// comes into view (without JavaScript, "More" is the next page's address).
#[component]
fn IssueList(filter: IssueFilter, page: IssuePage) -> impl IntoView {
    let as_of = page.as_of;
    let query = filter.query();
    let (items, more) = paged(
        page.items,
        page.next,
        {
            let query = query.clone();
            move |after| {
                let query = query.clone();
                async move {
                    list_issues(query, Some(after))
                        .await
                        .map(|p| (p.items, p.next))
                }
            }
        },
        move |after| {
            if query.is_empty() {
                format!("/issues?after={after}")
            } else {
                format!("/issues?{query}&after={after}")
            }
        },
    );
    view! {
        <section class="list" aria-label="Issues">
            <ol class="issues">
                <For each=move || items.get() key=|i| (i.repo_id, i.number) let:item>
                    {issue_view(item, &filter, as_of)}
                </For>
            </ol>
            {more}
        </section>
    }
}
