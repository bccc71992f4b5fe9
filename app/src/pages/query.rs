//! `/q/<hash>`: a query's tallies (server-rendered, readable without
//! JavaScript), live while its accounts are fetched, and its contributions
//! newest first, a page at a time; `/q/<hash>/day/<day>`: one day's items.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::query::{
    AccountState, AccountSummary, ContributionPage, FetchProgress, ListedContribution, PeriodItems,
    QueryForm, Summary,
};

use crate::components::{
    ActivityGraphs, ECHARTS_SCRIPT, EmbedSnippets, Problem, QueryEditor, paged,
};
use crate::error::AppError;
use crate::pages::NotFound;
use crate::server_fns::{RetryQuery, query_page, query_period, query_summary};

/// How often the page asks again while accounts are being fetched.
const POLL_MS: u64 = 1500;

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

    // Whether the editor is open, kept while edits move to new addresses.
    let editing = RwSignal::new(false);
    // Transitions keep what is shown while the next answer loads, so
    // polling and live edits never flash a blank page.
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                summary
                    .get()
                    .map(|result| match result {
                        Ok(summary) => view! { <SummaryView summary editing /> }.into_any(),
                        Err(AppError::NotFound { .. }) => view! { <NotFound /> }.into_any(),
                        Err(error) => {
                            view! { <Problem error /> }.into_any()
                        }
                    })
            }}
        </Transition>
        <Link rel="preload" href=ECHARTS_SCRIPT as_="script" />
        <ActivityGraphs summary />
        <Transition fallback=|| ()>
            {move || {
                first
                    .get()
                    .and_then(Result::ok)
                    .map(|page| view! { <ContributionList hash=hash() page /> })
            }}
        </Transition>
    }
}

/// How a fetch under way is going, in words.
fn progress_note(progress: &FetchProgress, items: u64) -> String {
    let mut note = format!("fetching: {items} so far, {} requests", progress.requests);
    if let Some(left) = progress.budget_left {
        note.push_str(&format!(", {left} left in the forge's rate limit"));
    }
    if let Some(until) = progress.waiting_until {
        note.push_str(&format!(
            "; waiting for the rate limit until {} UTC",
            until.format("%H:%M:%S")
        ));
    }
    note
}

fn account_view(account: AccountSummary) -> impl IntoView {
    let state = account.state;
    let mut note = match (&account.progress, state) {
        (Some(progress), _) => progress_note(progress, account.total),
        (None, AccountState::NotFound) => "not found".to_owned(),
        (None, AccountState::Failed) => {
            format!("failed: {}", account.problem.clone().unwrap_or_default())
        }
        (None, AccountState::Unknown) => "waiting to be fetched…".to_owned(),
        (None, AccountState::Ok) => account.total.to_string(),
    };
    if account.progress.is_none() && !account.complete() && state != AccountState::Unknown {
        note.push_str(&format!(
            "; {} so far, {} days not fetched",
            account.total, account.unfetched_days
        ));
    }
    let class = if account.progress.is_some() {
        "account account--fetching".to_owned()
    } else {
        format!("account account--{}", state.key())
    };
    view! {
        <li class=class>
            <code>{account.account.to_string()}</code>" "<span class="account__state">{note}</span>
        </li>
    }
}

/// Asks for the query's missing days again; a plain form, so it works
/// without JavaScript too.
#[component]
fn RetryButton(hash: String) -> impl IntoView {
    let retry = ServerAction::<RetryQuery>::new();
    view! {
        <ActionForm action=retry attr:class="retry">
            <input type="hidden" name="hash" value=hash />
            <button type="submit" class="button button--small">"Retry failed accounts"</button>
        </ActionForm>
    }
}

#[component]
fn SummaryView(summary: Summary, editing: RwSignal<bool>) -> impl IntoView {
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
    let hash = summary.hash.to_string();
    // Failed, or missing days with no fetch under way to bring them.
    let any_failed = !summary.fetching
        && summary
            .people
            .iter()
            .flat_map(|p| &p.accounts)
            .any(|a| a.state == AccountState::Failed || !a.complete());
    let complete = summary.complete();
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=description />
        <section class="query-summary" aria-labelledby="summary-title" data-hash=hash.clone()>
            <h1 id="summary-title" class="query-title">{title}</h1>
            {summary
                .fetching
                .then(|| {
                    view! {
                        <p class="progress" role="status" aria-live="polite">
                            "Fetching from the forges… the numbers below grow as each account’s days arrive, newest first."
                        </p>
                    }
                })}
            <p class="total">
                {at_least(complete)}
                <strong class="total__number" data-testid="total">{summary.total}</strong>
                " contributions"
            </p>
            <ul class="kind-totals">
                {kinds
                    .into_iter()
                    .map(|(kind, n)| view! { <li><span class="kind">{kind.label()}</span>" "<strong>{n}</strong></li> })
                    .collect_view()}
            </ul>
            {any_failed.then(|| {
                view! {
                    <div class="failure" role="alert">
                        <p>"Some accounts are not fetched for every day; their numbers count what is fetched, and the missing days are missing, not zero."</p>
                        <RetryButton hash=hash.clone() />
                    </div>
                }
            })}
            <details class="edit" open=move || editing.get() on:toggle=move |event| editing.set(is_open(&event))>
                <summary>"Change people, dates or filters"</summary>
                <QueryEditor form=QueryForm::of(&edit_spec) submit="Update" live=true />
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
                            let complete = person.complete();
                            view! {
                                <tr>
                                    <th scope="row">{person.name}</th>
                                    <td>
                                        <ul class="accounts">
                                            {person.accounts.into_iter().map(account_view).collect_view()}
                                        </ul>
                                    </td>
                                    <td class="num">{at_least(complete)}{person.total}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <EmbedSnippets hash=hash.clone() />
        </section>
    }
}

/// "at least" before a number that misses days: a floor, not the count.
fn at_least(complete: bool) -> impl IntoView {
    (!complete).then(|| {
        view! {
            <span class="at-least" title="Some days are not fetched: this counts what is fetched so far">
                "at least "
            </span>
        }
    })
}

/// Who misses days of a period, and how many: its count is a floor then.
fn unfetched_note(items: &PeriodItems) -> Option<impl IntoView + use<>> {
    if items.unfetched.is_empty() {
        return None;
    }
    let days = (items.last - items.first).num_days() + 1;
    let people = items
        .unfetched
        .iter()
        .map(|u| format!("{} ({} of {days} days)", u.person, u.days))
        .collect::<Vec<_>>()
        .join(", ");
    Some(view! {
        <p class="failure" role="status" data-testid="period-unfetched">
            {format!("Not fetched for {people}: the count is what is fetched so far, not the whole.")}
        </p>
    })
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
            {c.status.map(|s| view! { <span class=format!("badge badge--{}", s.label())>{s.label()}</span> })}
            <a class="item__title" href=model::url::web_link(&c.url) rel="noopener noreferrer" target="_blank">{c.title}</a>
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
    let (items, more) = paged(
        page.items,
        page.next,
        {
            let hash = hash.clone();
            move |after| {
                let hash = hash.clone();
                async move {
                    query_page(hash, Some(after))
                        .await
                        .map(|p| (p.items, p.next))
                }
            }
        },
        {
            let hash = hash.clone();
            move |after| format!("/q/{hash}?after={after}")
        },
    );
    view! {
        <section class="list" aria-label="Contributions">
            <ol class="items">
                <For each=move || items.get() key=|i| (i.contribution.kind, i.contribution.id.clone(), i.person) let:item>
                    {item_view(&hash, item)}
                </For>
            </ol>
            {more}
        </section>
    }
}

/// Whether the `<details>` a toggle event came from is open now.
fn is_open(event: &leptos::ev::Event) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok())
            .is_some_and(|details| details.open())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = event;
        false
    }
}

/// `/q/<hash>/day/<day>` and `/q/<hash>/week/<week>`: every item of one
/// UTC day or ISO week of the query, with their exact count.
#[component]
pub fn PeriodPage() -> impl IntoView {
    let params = use_params_map();
    let hash = move || params.read().get("hash").unwrap_or_default();
    let period = move || {
        let params = params.read();
        params
            .get("day")
            .or_else(|| params.get("week"))
            .unwrap_or_default()
    };
    let items = Resource::new(
        move || (hash(), period()),
        |(hash, period)| query_period(hash, period, None),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                items.get()
                    .map(|result| match result {
                        Ok(items) => {
                            let heading = period_heading(&period(), &items);
                            let note = unfetched_note(&items);
                            view! {
                                <Title text=format!("{heading} · {}", hash()) />
                                <p><A href=format!("/q/{}", hash())>"← Back to the query"</A></p>
                                <h1 class="query-title">{heading}</h1>
                                <p class="total">
                                    {at_least(note.is_none())}
                                    <strong data-testid="period-total">{items.total}</strong>
                                    " contributions (UTC days)"
                                </p>
                                {note}
                                <ContributionList hash=hash() page=items.page />
                            }
                                .into_any()
                        }
                        Err(AppError::NotFound { .. }) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// "2026-03-04", or "Week 2026-W10: 2026-03-02 to 2026-03-08" (clipped to
/// the query's days).
fn period_heading(period: &str, items: &PeriodItems) -> String {
    if items.first == items.last {
        items.first.to_string()
    } else {
        format!("Week {period}: {} to {}", items.first, items.last)
    }
}
