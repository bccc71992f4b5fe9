use leptos::prelude::*;
use leptos_meta::{Meta, Title};

/// What Tally does, in the order people usually need it.
const JOBS: [(&str, &str); 5] = [
    (
        "Contribution queries",
        "Pick people and their forge accounts, a date range and filters; share the answer at a short link.",
    ),
    (
        "Issue tracker",
        "Sign in with a forge, subscribe to repositories, and read all their issues in one list.",
    ),
    (
        "Repository reports",
        "Per-person tallies of commits, issues and comments, with bug share and time to close.",
    ),
    (
        "Organisation health",
        "Repositories, forks, stars, followers, languages and topics of whole organisations.",
    ),
    (
        "Discovery",
        "A polite crawler that grows a database of developers and repositories, with a REST API.",
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
        <section class="hero">
            <h1 class="hero__title">"Every contribution, counted once, across every forge."</h1>
            <p class="hero__lead">
                "Tally gathers commits, reviews, issues and comments from "
                {FORGES[..FORGES.len() - 1].join(", ")}
                " and "
                {FORGES[FORGES.len() - 1]}
                " into one self-hosted place. Every number links to the items behind it."
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
                    .map(|(title, text)| {
                        view! {
                            <li class="card">
                                <h3 class="card__title">{*title}</h3>
                                <p class="card__text">{*text}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
