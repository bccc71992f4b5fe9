//! `/health`: an organisation health check. Addresses go in a textarea,
//! one per line; the form is a GET, so the check's address (`/health?urls=…`)
//! can be shared and works without JavaScript. The answer shows each
//! organisation and the total as a table, the languages, topics and stars
//! per repository as graphs, each graph with a table saying the same.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use model::health_check::{HealthCheck, Numbers, Organisation};
use model::url::encode_component;

use crate::components::{Graph, Problem, grouped, health_charts};
use crate::server_fns::health_check::check_health;
use crate::server_fns::instance_info;

const EXAMPLE: &str =
    "https://github.com/rust-lang\nhttps://gitlab.com/gitlab-org\nhttps://bitbucket.org/atlassian";

#[component]
pub fn HealthPage() -> impl IntoView {
    let query = use_query_map();
    let urls = Memo::new(move |_| query.read().get("urls").unwrap_or_default());
    let bytes = Memo::new(move |_| query.read().get("languages").as_deref() == Some("bytes"));
    let answer = Resource::new(
        move || (urls.get(), bytes.get()),
        |(urls, bytes)| async move {
            if urls.trim().is_empty() {
                return Ok(None);
            }
            let languages = if bytes { "bytes" } else { "primary" };
            check_health(urls, languages.to_owned()).await.map(Some)
        },
    );
    view! {
        <Title text="Health check" />
        <div class="discover health">
            <h1 class="query-title">"Organisation health check"</h1>
            <p class="lead">
                "The public repositories of organisations on GitHub, GitLab and Bitbucket: originals and forks, stars, watchers, forks, followers, languages and topics, each and in total."
            </p>
            <Form method="GET" action="/health" attr:class="panel health-form">
                <label class="field" for="health-urls">
                    <span class="field__label">"Organisations, one address per line"</span>
                    <textarea id="health-urls" name="urls" rows="4" placeholder=EXAMPLE prop:value=move || urls.get()>
                        {urls.get_untracked()}
                    </textarea>
                </label>
                <label class="check">
                    <input type="checkbox" name="languages" value="bytes" prop:checked=move || bytes.get() />
                    " Also bytes per language (one more request per GitHub repository)"
                </label>
                <button type="submit" class="button">"Check"</button>
                <Examples />
            </Form>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Reading the forges…"</p> }>
                {move || {
                    answer
                        .get()
                        .map(|result| match result {
                            Ok(None) => ().into_any(),
                            Ok(Some(check)) => view! { <Report check /> }.into_any(),
                            Err(error) => view! { <Problem error /> }.into_any(),
                        })
                }}
            </Suspense>
        </div>
    }
}

/// In the demo, a link that checks its biggest organisations.
#[component]
fn Examples() -> impl IntoView {
    let info = instance_info();
    view! {
        <Transition>
            {move || {
                info.get()
                    .and_then(Result::ok)
                    .filter(|i| !i.organisation_examples.is_empty())
                    .map(|i| {
                        let urls = i.organisation_examples.join("\n");
                        let href = format!("/health?urls={}", encode_component(&urls));
                        view! {
                            <p class="muted">
                                "Try: "
                                <a href=href data-testid="health-example">
                                    {i.organisation_examples.join(" · ")}
                                </a>
                            </p>
                        }
                    })
            }}
        </Transition>
    }
}

/// A number that may be missing: "—" with the reason on hover and for
/// screen readers.
fn cell(n: Option<u64>, why: Option<&String>) -> impl IntoView + use<> {
    match n {
        Some(n) => view! { <td class="num">{grouped(n)}</td> }.into_any(),
        None => {
            let why = why.cloned().unwrap_or_else(|| "not given".into());
            let title = why.clone();
            view! { <td class="num" title=title><span aria-hidden="true">"—"</span><span class="visually-hidden">{why}</span></td> }
                .into_any()
        }
    }
}

fn row(label: AnyView, n: &Numbers) -> impl IntoView + use<> {
    let why = |field: &str| n.unavailable.get(field);
    view! {
        <th scope="row">{label}</th>
        <td class="num">{grouped(n.repositories.total)}</td>
        <td class="num">{grouped(n.repositories.originals)}</td>
        <td class="num">{grouped(n.repositories.forks)}</td>
        {cell(n.stars, why("stars"))}
        {cell(n.watchers, why("watchers"))}
        {cell(n.forks, why("forks"))}
        {cell(n.followers, why("followers"))}
    }
}

/// The API's address of the same check.
fn json_address(check: &HealthCheck) -> String {
    let urls = check
        .data
        .organisations
        .iter()
        .map(|o| o.address.clone())
        .chain(check.missing.iter().cloned());
    let query: Vec<String> = urls
        .map(|u| format!("url={}", encode_component(&u)))
        .collect();
    format!("/api/v1/health-check?{}", query.join("&"))
}

fn sorted(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    counts.iter().map(|(k, n)| (k.clone(), *n)).collect()
}

#[component]
fn Report(check: HealthCheck) -> impl IntoView {
    let total = check.data.total.clone();
    let organisations = check.data.organisations.clone();
    let truncated: Vec<String> = organisations
        .iter()
        .filter(|o| o.truncated)
        .map(|o| o.login.clone())
        .collect();
    let languages = sorted(&total.languages);
    let topics = total.topics.as_ref().map(sorted).unwrap_or_default();
    let stars: Vec<(String, u64)> = organisations
        .iter()
        .flat_map(|o| {
            o.repositories
                .iter()
                .filter_map(move |r| r.stars.map(|s| (format!("{}/{}", o.login, r.name), s)))
        })
        .collect();
    let read_at = organisations
        .iter()
        .map(|o| o.read_at)
        .min()
        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string());
    view! {
        {(!check.missing.is_empty()).then(|| view! {
            <p class="error" role="alert" data-testid="missing">
                "No such organisation: " {check.missing.join(", ")}
            </p>
        })}
        {(!truncated.is_empty()).then(|| view! {
            <p class="muted">"Only the first repositories were read of: " {truncated.join(", ")}</p>
        })}
        <section class="panel" aria-labelledby="health-numbers">
            <h2 id="health-numbers" class="section-title">"Numbers"</h2>
            <table class="data-table" data-testid="health-table">
                <caption>
                    {read_at.map(|at| format!("Read from the forges at {at}. "))}
                    <a href=json_address(&check)>"As JSON"</a>
                </caption>
                <thead>
                    <tr>
                        <th scope="col">"Organisation"</th>
                        <th scope="col" class="num">"Repositories"</th>
                        <th scope="col" class="num">"Originals"</th>
                        <th scope="col" class="num">"Forks"</th>
                        <th scope="col" class="num">"Stars"</th>
                        <th scope="col" class="num">"Watchers"</th>
                        <th scope="col" class="num">"Forked"</th>
                        <th scope="col" class="num">"Followers"</th>
                    </tr>
                </thead>
                <tbody>
                    {organisations.iter().map(|o| view! { <tr>{organisation_row(o)}</tr> }).collect_view()}
                </tbody>
                <tfoot>
                    <tr class="total">{row("Total".into_any(), &total)}</tr>
                </tfoot>
            </table>
            <Unavailable numbers=total.clone() />
        </section>
        <div class="graph-pair">
            <Chart
                title="Languages"
                what="Repositories"
                id="health-languages"
                option=health_charts::languages(&languages)
                counts=languages
            />
            <Chart
                title="Topics"
                what="Repositories"
                id="health-topics"
                option=health_charts::bars("Repositories", &topics, "#8957e5")
                counts=topics
            />
        </div>
        <Chart
            title="Stars per repository"
            what="Stars"
            id="health-stars"
            option=health_charts::bars("Stars", &stars, "#d29922")
            counts=stars
        />
    }
}

fn organisation_row(o: &Organisation) -> impl IntoView + use<> {
    let label = view! {
        <a href=model::url::web_link(&o.address) rel="noopener noreferrer">{o.login.clone()}</a>
        <span class="muted">{format!(" {}", o.forge.name())}</span>
    };
    row(label.into_any(), &o.numbers)
}

/// Why numbers are missing, as the total says.
#[component]
fn Unavailable(numbers: Numbers) -> impl IntoView {
    let notes: Vec<(String, String)> = numbers
        .unavailable
        .into_iter()
        .filter(|(field, _)| field != "language_bytes")
        .collect();
    (!notes.is_empty()).then(|| {
        view! {
            <ul class="muted notes">
                {notes
                    .into_iter()
                    .map(|(field, why)| view! { <li>{format!("{field}: {why}")}</li> })
                    .collect_view()}
            </ul>
        }
    })
}

/// A graph and the table that says the same; the table lists every entry,
/// the graph the largest.
#[component]
fn Chart(
    title: &'static str,
    what: &'static str,
    id: &'static str,
    option: serde_json::Value,
    counts: Vec<(String, u64)>,
) -> impl IntoView {
    let (rows, _) = health_charts::largest(&counts, usize::MAX);
    let option = Memo::new(move |_| Some(option.clone()));
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="panel" aria-labelledby=labelled_by>
            <h2 id=heading class="section-title">{title}</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <Graph label=format!("{title}: {} entries", rows.len()) id option style="height: 320px" />
                    <details>
                        <summary>"As a table"</summary>
                        <table class="data-table" data-testid=id>
                            <thead><tr><th scope="col">{title}</th><th scope="col" class="num">{what}</th></tr></thead>
                            <tbody>
                                {rows
                                    .into_iter()
                                    .map(|(name, n)| view! { <tr><td>{name}</td><td class="num">{grouped(n)}</td></tr> })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </details>
                }
                    .into_any()
            }}
        </section>
    }
}
