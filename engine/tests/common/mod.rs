//! What the client tests share: a simulated world, clients for its forges,
//! the usual faults, and the comparison of fetched items with the truth.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared test helpers: each test binary uses some of them, and stops loudly on the unexpected"
)]

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use engine::forge::governor::Governor;
use engine::forge::{Client, Endpoint};
use model::contribution::Contribution;
use model::forge::Forge;
use model::query::{AccountSpec, PersonSpec, QuerySpec};
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};
use sim::truth::{Truth, truth};
use sim::world::{World, WorldConfig, generate};

pub fn world(years: u32) -> Arc<World> {
    world_of(50, years)
}

pub fn world_of(people: usize, years: u32) -> Arc<World> {
    Arc::new(generate(WorldConfig {
        seed: 404,
        people,
        repos: 30,
        years,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    }))
}

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// How a client reaches one simulated forge: its URL, `token`, and for
/// Bitbucket every workspace that holds a repository.
pub fn endpoint(simulator: &Simulator, forge: Forge, token: Option<String>) -> Endpoint {
    Endpoint {
        forge,
        api_url: simulator.url(forge).unwrap().to_owned(),
        token,
        scope: match forge {
            Forge::Bitbucket => simulator.world.repository_owners(forge),
            _ => Vec::new(),
        },
    }
}

/// Every forge of the simulator, each with its demo token.
pub fn endpoints(simulator: &Simulator) -> Vec<Endpoint> {
    Forge::ALL
        .into_iter()
        .map(|forge| {
            endpoint(
                simulator,
                forge,
                Some(sim::server::demo_token(forge).into()),
            )
        })
        .collect()
}

pub fn client_with(simulator: &Simulator, forge: Forge, token: Option<String>) -> Client {
    Client::new(
        &endpoint(simulator, forge, token),
        Arc::new(Governor::default()),
    )
    .unwrap()
}

/// A client with the forge's demo token.
pub fn client(simulator: &Simulator, forge: Forge) -> Client {
    client_with(
        simulator,
        forge,
        Some(sim::server::demo_token(forge).into()),
    )
}

/// Retries that give up quickly, so a failing forge fails fast.
pub fn impatient() -> engine::forge::http::Limits {
    engine::forge::http::Limits {
        policy: engine::forge::http::RetryPolicy {
            attempts: 3,
            base_delay: std::time::Duration::from_millis(5),
            ..Default::default()
        },
        ..engine::forge::http::Limits::new(Arc::new(Governor::default()))
    }
}

/// Limits that keep work to `share` of each budget and put it off at the
/// share (as background work and what anyone may start read).
pub fn deferring(share: f64) -> engine::forge::http::Limits {
    engine::forge::http::Limits::new(Arc::new(Governor::with_patience(
        share,
        engine::forge::governor::Patience::Defer,
    )))
}

/// `base` with `faults` on one forge.
pub fn with_faults(base: SimConfig, forge: Forge, faults: Faults) -> SimConfig {
    SimConfig {
        faults: [(forge, faults)].into(),
        ..base
    }
}

/// The faults every client must come through with exactly the truth:
/// 10 % 5xx, rate-limit storms, 0–300 ms jitter and cut bodies.
pub fn usual_faults(forge: Forge, base: SimConfig) -> SimConfig {
    let faults = Faults {
        error_rate: 0.1,
        rate_limit_storm_rate: 0.05,
        retry_after_secs: 1,
        jitter_ms: 300,
        truncate_rate: 0.05,
        ..Faults::default()
    };
    with_faults(base, forge, faults)
}

/// Changes a running simulator's faults on one forge (`{}`: none).
pub async fn set_faults(simulator: &Simulator, forge: Forge, faults: serde_json::Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/_sim/faults", simulator.url(forge).unwrap()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

pub fn account(forge: Forge, username: &str) -> AccountSpec {
    AccountSpec {
        forge,
        instance: None,
        username: username.to_owned(),
    }
}

/// A query of people (an optional name, accounts as `forge:user`) over
/// `from..=to`, with no filters.
pub fn spec(people: Vec<(Option<&str>, Vec<String>)>, from: &str, to: &str) -> QuerySpec {
    QuerySpec {
        people: people
            .into_iter()
            .map(|(name, accounts)| PersonSpec {
                name: name.map(str::to_owned),
                accounts: accounts
                    .iter()
                    .map(|a| AccountSpec::parse(a).unwrap())
                    .collect(),
            })
            .collect(),
        from: day(from),
        to: day(to),
        kinds: vec![],
        statuses: vec![],
        include_repos: vec![],
        exclude_repos: vec![],
    }
}

/// Days fetched according to syncers' fetch logs: in all, and distinct.
pub fn days_fetched(log: impl IntoIterator<Item = (i64, NaiveDate, NaiveDate)>) -> (usize, usize) {
    let mut days: Vec<NaiveDate> = log
        .into_iter()
        .flat_map(|(_, start, end)| start.iter_days().take_while(move |d| *d <= end))
        .collect();
    let all = days.len();
    days.sort();
    days.dedup();
    (all, days.len())
}

/// The fetched items counted the way `sim::truth` counts them.
pub fn tally(items: &[Contribution]) -> Truth {
    let mut counted = Truth::default();
    for item in items {
        counted.add(
            item.kind,
            item.status,
            item.repository.clone(),
            item.occurred_at,
        );
    }
    counted
}

/// The accounts on `forge` with the most activity, plus a renamed one if any.
pub fn people(world: &World, forge: Forge, count: usize) -> Vec<String> {
    let activity = |id| {
        world.commits.iter().filter(|c| c.author == id).count()
            + world.changes.iter().filter(|c| c.author == id).count()
            + world.issues.iter().filter(|i| i.author == id).count()
    };
    let mut accounts: Vec<_> = world
        .accounts
        .iter()
        .filter(|a| a.forge == forge && !a.deleted)
        .collect();
    accounts.sort_by_key(|a| std::cmp::Reverse(activity(a.id)));
    let mut chosen: Vec<String> = accounts
        .iter()
        .take(count)
        .map(|a| a.username.clone())
        .collect();
    if let Some(renamed) = accounts.iter().find(|a| a.previous_username.is_some()) {
        chosen.push(renamed.username.clone());
    }
    chosen
}

/// Fetches `login`'s contributions over `from..=to` and compares them, whole,
/// with the simulator's truth.
pub async fn assert_matches_truth(
    simulator: &Simulator,
    client: &Client,
    forge: Forge,
    login: &str,
    from: &str,
    to: &str,
) {
    let world = &simulator.world;
    let account = world.find_account(forge, login).unwrap();
    let fetched = client
        .contributions(login, day(from), day(to))
        .await
        .unwrap();
    let expected = truth(world, account.id, day(from), day(to));
    assert!(expected.total > 0, "{login} did something in {from}..{to}");
    assert_eq!(tally(&fetched), expected, "{login} {from}..{to}");
}

/// An access token the simulated forge's OAuth server issues to
/// `username`, as after they approved a sign-in.
pub fn oauth_token(simulator: &Simulator, forge: Forge, username: &str) -> String {
    simulator.issue_token(forge, username).unwrap()
}
