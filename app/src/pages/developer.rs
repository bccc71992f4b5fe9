//! `/discover/developers/:id`: one developer discovery found, their numbers
//! as the forge last gave them, and their network: a graph of who follows
//! them and whom they follow, with the same people as tables.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use model::discovery::{Developer, DeveloperNetwork};
use model::ids::DeveloperId;

use crate::components::{Graph, Problem, grouped, network_option};
use crate::error::AppError;
use crate::server_fns::discovery::network_of;

#[component]
pub fn DeveloperPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let network = Resource::new(id, |id| async move {
        let id: i64 = id
            .parse()
            .map_err(|_| AppError::not_found(format!("developer {id}")))?;
        network_of(DeveloperId(id)).await
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                network
                    .get()
                    .map(|result| match result {
                        Ok(network) => view! { <Network network /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn Network(network: DeveloperNetwork) -> impl IntoView {
    let me = network.developer.clone();
    let option = Memo::new({
        let network = network.clone();
        move |_| Some(network_option(&network))
    });
    let label = format!(
        "{}'s network: {} followers and {} followed shown",
        me.login,
        network.followers.len(),
        network.following.len()
    );
    let numbers = format!(
        "{} followers · {} following · {} public repositories · {} gists",
        me.followers.map_or("?".into(), grouped),
        me.following.map_or("?".into(), grouped),
        me.public_repos.map_or("?".into(), grouped),
        me.public_gists.map_or("?".into(), grouped),
    );
    let web = format!("https://{}/{}", me.instance, me.login);
    view! {
        <Title text=me.login.clone() />
        <div class="discover">
            <p><a href="/discover">"← Discover"</a></p>
            <h1 class="query-title">{me.login.clone()}</h1>
            {me.name.clone().map(|n| view! { <p class="lead">{n}</p> })}
            <p class="muted" data-testid="numbers">{numbers}</p>
            {me.bio.clone().map(|b| view! { <p>{b}</p> })}
            <p class="muted">
                {[me.location.clone(), me.company.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ")}
                " "<a href=web rel="noopener">"On the forge"</a>" · "
                <a href=me.links.this.clone()>"JSON"</a>
            </p>
            <section class="panel" aria-labelledby="network-title">
                <h2 id="network-title" class="section-title">"Network"</h2>
                <Graph label option style="height: 420px" id="network-graph" />
                <div class="network-tables">
                    <People
                        title="Followers"
                        people=network.followers.clone()
                        total=network.followers_total
                        all=me.links.followers.clone()
                    />
                    <People
                        title="Following"
                        people=network.following.clone()
                        total=network.following_total
                        all=me.links.following.clone()
                    />
                </div>
            </section>
        </div>
    }
}

/// One side of the network as a table; the API lists all of it.
#[component]
fn People(title: &'static str, people: Vec<Developer>, total: u64, all: String) -> impl IntoView {
    let shown = people.len();
    view! {
        <table class="data-table" data-testid=title.to_lowercase()>
            <caption>
                {format!("{title}: {} stored", grouped(total))}
                {(u64::try_from(shown).unwrap_or(u64::MAX) < total).then(|| view! {
                    " (the "{shown}" most followed shown; "<a href=all.clone()>"all of them"</a>")"
                })}
            </caption>
            <thead>
                <tr><th scope="col">"Login"</th><th scope="col">"Name"</th><th scope="col" class="num">"Followers"</th></tr>
            </thead>
            <tbody>
                {people
                    .into_iter()
                    .map(|d| {
                        view! {
                            <tr>
                                <td><a href=format!("/discover/developers/{}", d.id)>{d.login}</a></td>
                                <td>{d.name.unwrap_or_default()}</td>
                                <td class="num">{d.followers.map_or("?".into(), grouped)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
