//! `/q/<hash>`: a query's tallies (server-rendered, readable without
//! JavaScript), live while its accounts are fetched, and its contributions
//! newest first, a page at a time; `/q/<hash>/day/<day>`: one day's items.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::contribution::Status;
use model::query::{ContributionPage, ListedContribution, QueryForm, Summary};

use crate::api::{query_day, query_page, query_summary};
use crate::components::QueryEditor;
use crate::error::AppError;
use crate::pages::NotFound;

/// How often the page asks again while accounts are being fetched.
const POLL_MS: u64 = 1500;

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Open => "open",
        Status::Merged => "merged",
        Status::Abandoned => "abandoned",
        Status::Closed => "closed",
    }
}

#[component]
pub fn QueryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let hash = move || params.read().get("hash").unwrap_or_default();
    let after = move || query.read().get("after");
    let summary = Resource::new(hash, query_summary);
    let first = Resource::new(
        move || (hash(), after()),
        |(hash, after)| query_page(hash, after),
    );

    // While accounts are fetched, ask again until they are done, then
    // reload the list once so it shows everything.
    Effect::new(move |was_fetching: Option<bool>| {
        let fetching = summary
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.fetching);
        if fetching {
            set_timeout(
                move || summary.refetch(),
                std::time::Duration::from_millis(POLL_MS),
            );
        } else if was_fetching == Some(true) {
            first.refetch();
        }
        fetching
    });

    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                summary
                    .get()
                    .map(|result| match result {
                        Ok(summary) => view! { <SummaryView summary /> }.into_any(),
                        Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                        Err(error) => {
                            view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
                        }
                    })
            }}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || {
                first
                    .get()
                    .and_then(Result::ok)
                    .map(|page| view! { <ContributionList hash=hash() page /> })
            }}
        </Suspense>
    }
}

#[component]
fn SummaryView(summary: Summary) -> impl IntoView {
    let spec = &summary.spec;
    let title = format!(
        "{} from {} to {}",
        summary
            .people
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        spec.from,
        spec.to
    );
    let description = format!("{} contributions: {title}", summary.total);
    let kinds: Vec<_> = summary.by_kind.clone();
    let edit_spec = summary.spec.clone();
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=description />
        <section class="query-summary" aria-labelledby="summary-title">
            <h1 id="summary-title" class="query-title">{title}</h1>
            {summary
                .fetching
                .then(|| {
                    view! {
                        <p class="progress" role="status" aria-live="polite">
                            "Fetching from the forges… the numbers below grow as accounts finish."
                        </p>
                    }
                })}
            <p class="total">
                <strong class="total__number" data-testid="total">{summary.total}</strong>
                " contributions"
            </p>
            <ul class="kind-totals">
                {kinds
                    .into_iter()
                    .map(|(kind, n)| view! { <li><span class="kind">{kind.label()}</span>" "<strong>{n}</strong></li> })
                    .collect_view()}
            </ul>
            <details class="edit">
                <summary>"Change people, dates or kinds"</summary>
                <QueryEditor form=QueryForm::of(&edit_spec) submit="Update" />
            </details>
            <table class="people">
                <thead>
                    <tr><th scope="col">"Person"</th><th scope="col">"Accounts"</th><th scope="col" class="num">"Total"</th></tr>
                </thead>
                <tbody>
                    {summary
                        .people
                        .into_iter()
                        .map(|person| {
                            view! {
                                <tr>
                                    <th scope="row">{person.name}</th>
                                    <td>
                                        <ul class="accounts">
                                            {person
                                                .accounts
                                                .into_iter()
                                                .map(|a| {
                                                    let state = a.state.clone();
                                                    let note = match state.as_str() {
                                                        "not_found" => "not found".to_owned(),
                                                        "failed" => format!("failed: {}", a.problem.clone().unwrap_or_default()),
                                                        "unknown" => "fetching…".to_owned(),
                                                        _ => format!("{}", a.total),
                                                    };
                                                    view! {
                                                        <li class=format!("account account--{state}")>
                                                            <code>{a.account.to_string()}</code>" "<span class="account__state">{note}</span>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    </td>
                                    <td class="num">{person.total}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// One contribution in the list.
fn item_view(hash: &str, item: ListedContribution) -> impl IntoView + use<> {
    let c = item.contribution;
    let day = c.occurred_at.date_naive().to_string();
    let href = format!("/q/{hash}/day/{day}");
    view! {
        <li class="item">
            <a class="item__day" href=href>{day}</a>
            <span class="item__kind">{c.kind.label()}</span>
            {c.status.map(|s| view! { <span class=format!("badge badge--{}", status_label(s))>{status_label(s)}</span> })}
            <a class="item__title" href=c.url rel="noopener" target="_blank">{c.title}</a>
            <span class="item__repo">{c.repository}</span>
            <span class="item__who">{c.author}</span>
        </li>
    }
}

/// The list: the first page from the server, then the next ones appended
/// as the end of the list scrolls into view (or "More" is followed; without
/// JavaScript it is a link to the next page).
#[component]
fn ContributionList(hash: String, page: ContributionPage) -> impl IntoView {
    let items = RwSignal::new(page.items);
    let next = RwSignal::new(page.next);
    let loading = RwSignal::new(false);
    let load_more = {
        let hash = hash.clone();
        move || {
            let Some(after) = next.get_untracked() else {
                return;
            };
            if loading.get_untracked() {
                return;
            }
            loading.set(true);
            let hash = hash.clone();
            leptos::task::spawn_local(async move {
                if let Ok(page) = query_page(hash, Some(after)).await {
                    items.update(|list| list.extend(page.items));
                    next.set(page.next);
                }
                loading.set(false);
            });
        }
    };
    let end = NodeRef::<leptos::html::A>::new();
    #[cfg(feature = "hydrate")]
    load_when_visible(end, load_more.clone());
    let on_click = {
        let load_more = load_more.clone();
        move |event: leptos::ev::MouseEvent| {
            event.prevent_default();
            load_more();
        }
    };
    let hash_for_items = hash.clone();
    view! {
        <section class="list" aria-label="Contributions">
            <ol class="items">
                <For each=move || items.get() key=|i| (i.contribution.kind, i.contribution.id.clone(), i.person) let:item>
                    {item_view(&hash_for_items, item)}
                </For>
            </ol>
            {move || {
                next.get()
                    .map(|after| {
                        let href = format!("/q/{}?after={after}", hash);
                        view! {
                            <a class="more" href=href node_ref=end on:click=on_click.clone() aria-busy=move || loading.get().to_string()>
                                {move || if loading.get() { "Loading…" } else { "More" }}
                            </a>
                        }
                    })
            }}
        </section>
    }
}

/// Calls `load` whenever the element scrolls into view.
#[cfg(feature = "hydrate")]
fn load_when_visible(element: NodeRef<leptos::html::A>, load: impl Fn() + Clone + 'static) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::js_sys::Array;

    Effect::new(move |_| {
        let Some(target) = element.get() else { return };
        let load = load.clone();
        let callback = Closure::<dyn FnMut(Array)>::new(move |entries: Array| {
            let visible = entries.iter().any(|entry| {
                entry
                    .dyn_into::<web_sys::IntersectionObserverEntry>()
                    .is_ok_and(|e| e.is_intersecting())
            });
            if visible {
                load();
            }
        });
        if let Ok(observer) = web_sys::IntersectionObserver::new(callback.as_ref().unchecked_ref())
        {
            observer.observe(&target);
        }
        // The observer lives as long as the page; so does its callback.
        callback.forget();
    });
}

#[component]
pub fn DayPage() -> impl IntoView {
    let params = use_params_map();
    let hash = move || params.read().get("hash").unwrap_or_default();
    let day = move || params.read().get("day").unwrap_or_default();
    let page = Resource::new(
        move || (hash(), day()),
        |(hash, day)| query_day(hash, day, None),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                page.get()
                    .map(|result| match result {
                        Ok(page) => {
                            let count = page.items.len();
                            view! {
                                <Title text=format!("{} · {}", day(), hash()) />
                                <p><A href=format!("/q/{}", hash())>"← Back to the query"</A></p>
                                <h1 class="query-title">{day()}</h1>
                                <p class="total"><strong data-testid="day-total">{count}</strong>" contributions on this day (UTC)"</p>
                                <ContributionList hash=hash() page />
                            }
                                .into_any()
                        }
                        Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}
