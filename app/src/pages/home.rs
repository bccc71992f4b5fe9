use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use model::query::QueryForm;

use crate::components::QueryEditor;
use crate::server_fns::instance_info;

/// What Tally does, in the order people usually need it, and where each
/// job starts.
const JOBS: [(&str, &str, &str); 5] = [
    (
        "Contribution queries",
        "Pick people and their forge accounts, a date range and filters; share the answer at a short link.",
        "#form-title",
    ),
    (
        "Issue tracker",
        "Sign in with a forge, subscribe to repositories, and read all their issues in one list.",
        "/issues",
    ),
    (
        "Repository reports",
        "Per-person tallies of commits, pull requests, reviews, issues and comments, with bug share, time to close and first response.",
        "/reports",
    ),
    (
        "Organisation health",
        "Repositories, forks, stars, followers, languages and topics of whole organisations.",
        "/health",
    ),
    (
        "Discovery",
        "A polite crawler that grows a database of developers and repositories, with a REST API.",
        "/discover",
    ),
];

const FORGES: [&str; 5] = ["GitHub", "GitLab", "Bitbucket", "Gerrit", "Phabricator"];

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <Title text="" />
        <Meta
            name="description"
            content="Tally counts what people contributed across GitHub, GitLab, Bitbucket, Gerrit and Phabricator."
        />
        <QueryFormView />
        <section class="hero">
            <h2 class="hero__title">"Every contribution, counted once, across every forge."</h2>
            <p class="hero__lead">
                "Tally gathers commits, reviews, issues and comments from "
                {FORGES[..FORGES.len() - 1].join(", ")}
                " and "
                {FORGES[FORGES.len() - 1]}
                " into one self-hosted place. Every count is exact, and a day or a week of the graphs opens its items."
            </p>
            <ul class="forge-list" aria-label="Supported forges">
                {FORGES.iter().map(|forge| view! { <li class="forge-chip">{*forge}</li> }).collect_view()}
            </ul>
        </section>
        <section class="jobs" aria-labelledby="jobs-title">
            <h2 id="jobs-title" class="section-title">"What Tally does"</h2>
            <ul class="cards">
                {JOBS
                    .iter()
                    .map(|(title, text, href)| {
                        view! {
                            <li class="card">
                                <h3 class="card__title">
                                    <a class="card__link" href=*href>{*title}</a>
                                </h3>
                                <p class="card__text">{*text}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// The query form. It posts to the `create_query` server function, so it
/// works without JavaScript too; the server answers with the query's page.
#[component]
fn QueryFormView() -> impl IntoView {
    view! {
        <section class="query-form" aria-labelledby="form-title">
            <h1 id="form-title" class="section-title">"Count contributions"</h1>
            <QueryEditor form=QueryForm::default() submit="Count">
                <Examples />
            </QueryEditor>
        </section>
    }
}

/// In the demo, the accounts worth trying, to copy into the form.
#[component]
fn Examples() -> impl IntoView {
    let info = instance_info();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                info.get()
                    .and_then(Result::ok)
                    .filter(|info| !info.examples.is_empty())
                    .map(|info| {
                        view! {
                            <p class="field__hint">
                                "Try: " <code data-testid="example">{info.examples.join(" ")}</code>
                            </p>
                        }
                    })
            }}
        </Suspense>
    }
}
