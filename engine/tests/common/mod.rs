//! What the client tests share: a simulated world, a client for one of its
//! forges, and the comparison of fetched items with the ground truth.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use engine::forge::governor::Governor;
use engine::forge::{Client, Endpoint};
use model::contribution::Contribution;
use model::forge::Forge;
use serde_json::Value;
use sim::server::Simulator;
use sim::truth::truth;
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

pub fn client(simulator: &Simulator, forge: Forge) -> Client {
    let endpoint = Endpoint {
        forge,
        api_url: simulator.url(forge).unwrap().to_owned(),
        token: Some(sim::server::demo_token(forge).into()),
        scope: scope(&simulator.world, forge),
    };
    Client::new(&endpoint, Arc::new(Governor::default())).unwrap()
}

/// Every workspace that holds a repository, for forges that must be told
/// where to look.
pub fn scope(world: &World, forge: Forge) -> Vec<String> {
    if forge != Forge::Bitbucket {
        return Vec::new();
    }
    let mut workspaces: Vec<String> = world
        .repos
        .iter()
        .filter(|r| r.forge == forge)
        .map(|r| world.owner_login(r.owner).to_owned())
        .collect();
    workspaces.sort();
    workspaces.dedup();
    workspaces
}

/// The fetched items counted the way `sim::truth` counts, as JSON so the
/// two can be compared whole.
pub fn tally(items: &[Contribution]) -> Value {
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_status: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut by_repo: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_day: BTreeMap<String, u64> = BTreeMap::new();
    let name = |v: &dyn erased::Named| v.name();
    for item in items {
        let kind = name(&item.kind);
        *by_kind.entry(kind.clone()).or_default() += 1;
        if let Some(status) = item.status {
            *by_status
                .entry(kind)
                .or_default()
                .entry(name(&status))
                .or_default() += 1;
        }
        *by_repo.entry(item.repository.clone()).or_default() += 1;
        *by_day
            .entry(item.occurred_at.date_naive().to_string())
            .or_default() += 1;
    }
    serde_json::json!({
        "total": items.len(),
        "by_kind": by_kind,
        "by_kind_and_status": by_status,
        "by_repo": by_repo,
        "by_day": by_day,
    })
}

mod erased {
    /// The serde name of an enum value.
    pub trait Named {
        fn name(&self) -> String;
    }
    impl<T: serde::Serialize> Named for T {
        fn name(&self) -> String {
            serde_json::to_value(self)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        }
    }
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
    let expected = serde_json::to_value(truth(world, account.id, day(from), day(to))).unwrap();
    assert!(
        expected["total"].as_u64().unwrap() > 0,
        "{login} did something in {from}..{to}"
    );
    assert_eq!(tally(&fetched), expected, "{login} {from}..{to}");
}
