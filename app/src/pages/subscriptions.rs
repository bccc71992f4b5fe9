//! `/subscriptions`: the signed-in person's forge accounts, the repositories
//! they may read (searchable, a page at a time) to subscribe to, any
//! public repository by its address, and their subscriptions with each
//! one's last sync, items and problems. Every form works without
//! JavaScript and carries the session's CSRF token.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;
use model::tracker::{LinkedAccount, ReadablePage, Subscription, SyncState, Viewer};
use model::url::{encode_component, web_link};

use crate::components::{Problem, grouped};
use crate::error::AppError;
use crate::server_fns::tracker::{
    RefreshReadable, Subscribe, SubscribeAddress, SyncNow, UnlinkAccount, Unsubscribe,
    readable_repositories, sign_in_options, subscriptions,
};
use crate::server_fns::viewer;

/// How often the page looks again while a sync is waiting or running.
const POLL_MS: u64 = 2000;

#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let viewer = viewer();
    view! {
        <Title text="Subscriptions" />
        <h1 class="query-title">"Subscriptions"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                viewer
                    .get()
                    .map(|result| match result {
                        Ok(Some(viewer)) => view! { <Manager viewer /> }.into_any(),
                        Ok(None) | Err(AppError::Unauthorized) => {
                            view! {
                                <p class="failure" role="alert">
                                    "Sign in to manage your subscriptions. " <a href="/sign-in?next=/subscriptions">"Sign in"</a>
                                </p>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn Manager(viewer: Viewer) -> impl IntoView {
    let csrf = viewer.csrf.clone();
    let subscribe = ServerAction::<Subscribe>::new();
    let by_address = ServerAction::<SubscribeAddress>::new();
    let unsubscribe = ServerAction::<Unsubscribe>::new();
    let sync_now = ServerAction::<SyncNow>::new();
    let refresh = ServerAction::<RefreshReadable>::new();
    let changes = move || {
        (
            subscribe.version().get(),
            by_address.version().get(),
            unsubscribe.version().get(),
            sync_now.version().get(),
            refresh.version().get(),
        )
    };
    let list = Resource::new(changes, |_| subscriptions());
    // While a sync waits or runs, look again until it is done (one look
    // pending at a time, however often the list changes meanwhile).
    let looking = StoredValue::new(false);
    Effect::new(move |_| {
        let busy = list.get().and_then(Result::ok).is_some_and(|subs| {
            subs.iter()
                .any(|s| matches!(s.state, SyncState::Waiting | SyncState::Syncing))
        });
        if busy && !looking.get_value() {
            looking.set_value(true);
            set_timeout(
                move || {
                    looking.set_value(false);
                    list.refetch();
                },
                std::time::Duration::from_millis(POLL_MS),
            );
        }
    });
    let actions = Actions {
        csrf: csrf.clone(),
        unsubscribe,
        sync_now,
    };
    let address_csrf = csrf.clone();
    let accounts_csrf = csrf.clone();
    view! {
        <Accounts accounts=viewer.accounts.clone() csrf=accounts_csrf />
        <section class="panel" aria-labelledby="add-title">
            <h2 id="add-title" class="section-title">"Subscribe by address"</h2>
            <p class="muted">
                "The address of a repository's page on any of this installation's forges, or "
                <code>"forge:path"</code>" (for example "<code>"github:owner/name"</code>", "
                <code>"gerrit:project"</code>"). Private repositories need a linked account that can read them."
            </p>
            <ActionForm action=by_address attr:class="form form--inline">
                <input type="hidden" name="csrf" value=address_csrf />
                <label class="visually-hidden" for="address">"Repository address"</label>
                <input id="address" name="address" type="text" required placeholder="https://github.com/owner/name" />
                <button type="submit" class="button">"Subscribe"</button>
            </ActionForm>
            {problem(by_address)}
        </section>
        <section class="panel" aria-labelledby="subscribed-title">
            <h2 id="subscribed-title" class="section-title">"Your subscriptions"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let actions = actions.clone();
                    list.get()
                        .map(move |result| match result {
                            Ok(subs) if subs.is_empty() => {
                                view! { <p class="muted" data-testid="no-subscriptions">"None yet: subscribe to repositories above or below."</p> }.into_any()
                            }
                            Ok(subs) => view! { <SubscriptionTable subs actions /> }.into_any(),
                            Err(error) => view! { <Problem error /> }.into_any(),
                        })
                }}
            </Transition>
            {problem(unsubscribe)}
            {problem(sync_now)}
        </section>
        <Readable csrf subscribe refresh />
    }
}

/// What a form's action failed with, if it did.
fn problem<S>(action: ServerAction<S>) -> impl IntoView
where
    S: server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <p class="error" role="alert" data-testid="action-problem">{e.to_string()}</p> })
    }
}

#[component]
fn Accounts(accounts: Vec<LinkedAccount>, csrf: String) -> impl IntoView {
    let unlink = ServerAction::<UnlinkAccount>::new();
    let options = Resource::new(|| (), |_| sign_in_options());
    let linked: Vec<_> = accounts.iter().map(|a| a.forge).collect();
    view! {
        <section class="panel" aria-labelledby="accounts-title">
            <h2 id="accounts-title" class="section-title">"Your forge accounts"</h2>
            <ul class="linked">
                {accounts
                    .into_iter()
                    .map(|account| {
                        let csrf = csrf.clone();
                        let again = format!("/auth/{}/start?next=/subscriptions", account.forge.key());
                        view! {
                            <li class="linked__account">
                                <span class=format!("forge-tag forge-tag--{}", account.forge.key())>{account.forge.name()}</span>
                                " "<strong>{account.username}</strong>" "<span class="muted">{account.instance}</span>
                                {account.problem.map(|p| view! {
                                    <p class="error">{p}" "<a href=again rel="external">"Sign in again"</a></p>
                                })}
                                <ActionForm action=unlink attr:class="inline-form">
                                    <input type="hidden" name="csrf" value=csrf />
                                    <input type="hidden" name="account" value=account.id.to_string() />
                                    <button type="submit" class="link-button">"Unlink"</button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {problem(unlink)}
            <Suspense fallback=|| ()>
                {move || {
                    let linked = linked.clone();
                    options.get().and_then(Result::ok).map(move |options| {
                        let others: Vec<_> = options.into_iter().filter(|o| !linked.contains(&o.forge)).collect();
                        (!others.is_empty()).then(|| view! {
                            <p class="muted">
                                "Link another: "
                                {others.into_iter().map(|o| {
                                    let href = format!("{}?next={}", o.href, encode_component("/subscriptions"));
                                    view! { <a class="button button--small button--quiet" href=href rel="external">{o.forge.name()}</a>" " }
                                }).collect_view()}
                            </p>
                        })
                    })
                }}
            </Suspense>
        </section>
    }
}

/// What a subscription's row needs to act: its forms.
#[derive(Clone)]
struct Actions {
    csrf: String,
    unsubscribe: ServerAction<Unsubscribe>,
    sync_now: ServerAction<SyncNow>,
}

/// How a sync stands, in words and as a class of its own.
fn state_label(s: &Subscription) -> (&'static str, &'static str) {
    match s.state {
        SyncState::Waiting => ("waiting to sync", "sync sync--waiting"),
        SyncState::Syncing => ("syncing…", "sync sync--syncing"),
        SyncState::Synced => ("synced", "sync sync--synced"),
        SyncState::Failed => ("sync failed", "sync sync--failed"),
    }
}

#[component]
fn SubscriptionTable(subs: Vec<Subscription>, actions: Actions) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table subscriptions" data-testid="subscriptions">
                <thead>
                    <tr>
                        <th scope="col">"Repository"</th>
                        <th scope="col">"Sync"</th>
                        <th scope="col" class="num">"Items"</th>
                        <th scope="col" class="num">"Comments"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {subs
                        .into_iter()
                        .map(|s| {
                            let actions = actions.clone();
                            let (sync_csrf, unsubscribe_csrf) = (actions.csrf.clone(), actions.csrf.clone());
                            let synced = s.last_synced_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
                            let filter = format!("/issues?repo={}", s.repo_id);
                            let (state, class) = state_label(&s);
                            view! {
                                <tr data-repository=s.repository.clone()>
                                    <th scope="row">
                                        <span class=format!("forge-tag forge-tag--{}", s.forge.key())>{s.forge.name()}</span>
                                        " "<a href=web_link(&s.url) rel="noopener noreferrer" target="_blank">{s.repository.clone()}</a>
                                        {s.private.then(|| view! { " "<span class="badge">"private"</span> })}
                                        {s.problem.clone().map(|p| view! { <p class="error">{p}</p> })}
                                    </th>
                                    <td>
                                        <span class=class>{state}</span>
                                        {synced.map(|t| view! { <br /><span class="muted">{t}</span> })}
                                    </td>
                                    <td class="num" data-label="Items"><A href=filter>{grouped(s.items)}</A></td>
                                    <td class="num" data-label="Comments">{grouped(s.comments)}</td>
                                    <td class="row-actions">
                                        <ActionForm action=actions.sync_now attr:class="inline-form">
                                            <input type="hidden" name="csrf" value=sync_csrf />
                                            <input type="hidden" name="repo" value=s.repo_id.to_string() />
                                            <button type="submit" class="button button--small button--quiet">"Sync now"</button>
                                        </ActionForm>
                                        <ActionForm action=actions.unsubscribe attr:class="inline-form">
                                            <input type="hidden" name="csrf" value=unsubscribe_csrf />
                                            <input type="hidden" name="repo" value=s.repo_id.to_string() />
                                            <button type="submit" class="link-button">"Unsubscribe"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The repositories the person's accounts may read, searchable, a page at
/// a time, each with a Subscribe button.
#[component]
fn Readable(
    csrf: String,
    subscribe: ServerAction<Subscribe>,
    refresh: ServerAction<RefreshReadable>,
) -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("search").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let found = Resource::new(
        move || {
            (
                search(),
                page(),
                subscribe.version().get(),
                refresh.version().get(),
            )
        },
        |(search, page, _, _)| readable_repositories(search, page),
    );
    let refresh_csrf = csrf.clone();
    view! {
        <section class="panel" aria-labelledby="readable-title">
            <h2 id="readable-title" class="section-title">"Repositories you can read"</h2>
            <Form method="GET" action="/subscriptions" attr:class="form form--inline" attr:role="search">
                <label class="visually-hidden" for="readable-search">"Search your repositories"</label>
                <input id="readable-search" type="search" name="search" placeholder="Search by name" prop:value=search />
                <button type="submit" class="button button--small">"Search"</button>
            </Form>
            <ActionForm action=refresh attr:class="inline-form">
                <input type="hidden" name="csrf" value=refresh_csrf />
                <button type="submit" class="link-button">"Read the lists from the forges again"</button>
            </ActionForm>
            {problem(refresh)}
            {problem(subscribe)}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let csrf = csrf.clone();
                    found.get().map(move |result| match result {
                        Ok(found) => view! { <ReadableList found csrf subscribe search=search() /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn ReadableList(
    found: ReadablePage,
    csrf: String,
    subscribe: ServerAction<Subscribe>,
    search: String,
) -> impl IntoView {
    let page_href = move |page: u32| {
        format!(
            "/subscriptions?search={}&page={page}",
            encode_component(&search)
        )
    };
    let (page, pages) = (found.page, found.pages);
    view! {
        <p class="muted" data-testid="readable-total">
            {grouped(found.total)}" repositories"
            {found.listed_at.map(|at| format!(", as the forges listed them at {}", at.format("%Y-%m-%d %H:%M UTC")))}
        </p>
        <ul class="readable">
            {found
                .items
                .into_iter()
                .map(|repo| {
                    let csrf = csrf.clone();
                    let (name, label) = (repo.repository.clone(), repo.repository.clone());
                    view! {
                        <li class="readable__repo" data-repository=name>
                            <span class=format!("forge-tag forge-tag--{}", repo.forge.key())>{repo.forge.name()}</span>
                            " "<a href=web_link(&repo.url) rel="noopener noreferrer" target="_blank">{label}</a>
                            {repo.private.then(|| view! { " "<span class="badge">"private"</span> })}
                            {repo.description.map(|d| view! { <span class="readable__about muted">{d}</span> })}
                            {if repo.subscribed {
                                view! { <span class="badge badge--open">"subscribed"</span> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=subscribe attr:class="inline-form">
                                        <input type="hidden" name="csrf" value=csrf />
                                        <input type="hidden" name="account" value=repo.account_id.to_string() />
                                        <input type="hidden" name="repository" value=repo.repository />
                                        <button type="submit" class="button button--small">"Subscribe"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <nav class="pager" aria-label="Pages">
            {(page > 1).then(|| view! { <A href=page_href(page - 1)>"← Previous"</A> })}
            " "<span class="muted">"Page "{page}" of "{pages}</span>" "
            {(page < pages).then(|| view! { <A href=page_href(page + 1)>"Next →"</A> })}
        </nav>
    }
}
