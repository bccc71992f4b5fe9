//! Discovery against the simulated GitHub: what a full profile sync and the
//! scraper store is exactly the world's network, and doing it again
//! changes nothing.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use engine::discovery::Discovery;
use engine::forge::directory::Directory;
use engine::store::discovery::DeveloperId;
use engine::store::testing::TestDb;
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};
use sim::world::{Account, Owner, World};

async fn setup() -> (Simulator, TestDb, Discovery) {
    let simulator = Simulator::start(common::world_of(60, 1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let directory = Arc::new(Directory::with_limits(
        common::endpoints(&simulator),
        common::impatient,
    ));
    let discovery = Discovery::new(db.store.clone(), directory);
    (simulator, db, discovery)
}

/// The world's network of one GitHub account, as the forge serves it.
struct Network {
    followers: BTreeSet<String>,
    following: BTreeSet<String>,
    starred: BTreeSet<String>,
    owned: BTreeSet<String>,
    /// `owner/name` → its stargazers' logins, for each owned repository.
    stargazers: BTreeSet<(String, String)>,
}

fn network(world: &World, account: &Account) -> Network {
    let logins = |ids: &[u32]| -> BTreeSet<String> {
        ids.iter()
            .map(|id| world.account(*id))
            .filter(|a| !a.deleted)
            .map(|a| a.username.clone())
            .collect()
    };
    let public = |r: &&sim::world::Repo| r.forge == Forge::GitHub && !r.deleted;
    let owned: Vec<&sim::world::Repo> = world
        .repos
        .iter()
        .filter(public)
        .filter(|r| r.owner == Owner::Account(account.id))
        .collect();
    Network {
        followers: logins(&account.followers),
        following: logins(&account.following),
        starred: world
            .repos
            .iter()
            .filter(public)
            .filter(|r| r.stargazers.iter().any(|(who, _)| *who == account.id))
            .map(|r| world.full_name(r))
            .collect(),
        owned: owned.iter().map(|r| world.full_name(r)).collect(),
        stargazers: owned
            .iter()
            .flat_map(|r| {
                r.stargazers
                    .iter()
                    .map(|(who, _)| (world.full_name(r), world.account(*who).username.clone()))
            })
            .collect(),
    }
}

/// The same network as stored.
async fn stored(db: &TestDb, developer: DeveloperId) -> Network {
    let pool = db.store.pool();
    let set = |rows: Vec<String>| rows.into_iter().collect::<BTreeSet<_>>();
    let query = |sql: &'static str| async move {
        sqlx::query_scalar::<_, String>(sql)
            .bind(developer)
            .fetch_all(pool)
            .await
            .unwrap()
    };
    Network {
        followers: set(query(
            "SELECT d.login FROM follows f JOIN developers d ON d.id = f.follower_id
             WHERE f.followed_id = $1",
        )
        .await),
        following: set(query(
            "SELECT d.login FROM follows f JOIN developers d ON d.id = f.followed_id
             WHERE f.follower_id = $1",
        )
        .await),
        starred: set(query(
            "SELECT r.owner_login || '/' || r.name FROM stars s
             JOIN repositories r ON r.id = s.repository_id WHERE s.developer_id = $1",
        )
        .await),
        owned: set(query(
            "SELECT owner_login || '/' || name FROM repositories WHERE owner_id = $1",
        )
        .await),
        stargazers: sqlx::query_as::<_, (String, String)>(
            "SELECT r.owner_login || '/' || r.name, d.login FROM repositories r
             JOIN stars s ON s.repository_id = r.id JOIN developers d ON d.id = s.developer_id
             WHERE r.owner_id = $1",
        )
        .bind(developer)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect(),
    }
}

fn assert_same(stored: &Network, truth: &Network, who: &str) {
    assert_eq!(stored.followers, truth.followers, "{who}: followers");
    assert_eq!(stored.following, truth.following, "{who}: following");
    assert_eq!(stored.starred, truth.starred, "{who}: starred");
    assert_eq!(stored.owned, truth.owned, "{who}: owned");
    assert_eq!(stored.stargazers, truth.stargazers, "{who}: stargazers");
}

async fn row_counts(db: &TestDb) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["developers", "repositories", "follows", "stars"] {
        counts.push(
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(db.store.pool())
                .await
                .unwrap(),
        );
    }
    counts
}

/// The GitHub account with the largest network: the best seed to test with.
fn busiest(world: &World) -> &Account {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .max_by_key(|a| {
            let n = network(world, a);
            n.followers.len() + n.following.len() + n.starred.len() + n.stargazers.len()
        })
        .unwrap()
}

#[tokio::test]
async fn a_profile_sync_stores_exactly_the_network_and_again_changes_nothing() {
    let (simulator, db, discovery) = setup().await;
    let world = &simulator.world;
    let seed = busiest(world);
    let truth = network(world, seed);
    assert!(
        !truth.followers.is_empty() && !truth.following.is_empty() && !truth.starred.is_empty(),
        "the seed has a network to test with"
    );
    let report = discovery
        .full_profile_sync(Forge::GitHub, &seed.username)
        .await
        .unwrap();
    assert_eq!(report.followers, truth.followers.len());
    assert_eq!(report.following, truth.following.len());
    assert_eq!(report.starred, truth.starred.len());
    assert_eq!(report.owned, truth.owned.len());
    let first = stored(&db, report.developer).await;
    assert_same(&first, &truth, &seed.username);

    // The profile itself, as the forge counts it.
    let (login, followers, following, distance): (String, i64, i64, i32) = sqlx::query_as(
        "SELECT login, followers, following, distance FROM developers WHERE id = $1",
    )
    .bind(report.developer)
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    assert_eq!(login, seed.username);
    assert_eq!(usize::try_from(followers).unwrap(), truth.followers.len());
    assert_eq!(usize::try_from(following).unwrap(), truth.following.len());
    assert_eq!(distance, 0, "the first developer synced is a seed");

    let before = row_counts(&db).await;
    let again = discovery
        .full_profile_sync(Forge::GitHub, &seed.username)
        .await
        .unwrap();
    assert_eq!(again.developer, report.developer, "the same row");
    assert_eq!(row_counts(&db).await, before, "no duplicates");
    assert_same(&stored(&db, report.developer).await, &truth, &seed.username);
    simulator.stop().await;
}

#[tokio::test]
async fn the_scraper_visits_the_nearest_first_and_each_matches_the_world() {
    let (simulator, db, discovery) = setup().await;
    let world = &simulator.world;
    let seed = busiest(world);
    discovery
        .full_profile_sync(Forge::GitHub, &seed.username)
        .await
        .unwrap();
    let synced = discovery
        .scrape(Forge::GitHub, 5, Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(synced.len(), 5);
    for login in &synced {
        let (id, distance): (DeveloperId, i32) = sqlx::query_as(
            "SELECT id, distance FROM developers WHERE login = $1 AND synced_at IS NOT NULL",
        )
        .bind(login)
        .fetch_one(db.store.pool())
        .await
        .unwrap();
        assert_eq!(distance, 1, "{login} is one hop from the seed");
        let account = world.find_account(Forge::GitHub, login).unwrap();
        assert_same(&stored(&db, id).await, &network(world, account), login);
    }
    // Synced ones are not visited again until they go stale.
    let next = discovery
        .scrape(Forge::GitHub, 5, Duration::hours(1))
        .await
        .unwrap();
    assert!(next.iter().all(|login| !synced.contains(login)), "{next:?}");
    simulator.stop().await;
}

#[tokio::test]
async fn a_repository_sync_stores_its_counts_owner_and_stargazers() {
    let (simulator, db, discovery) = setup().await;
    let world = &simulator.world;
    let repo = world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitHub && !r.deleted)
        .filter(|r| matches!(r.owner, Owner::Account(_)))
        .max_by_key(|r| r.stargazers.len())
        .unwrap();
    let full_name = world.full_name(repo);
    let (owner, name) = full_name.split_once('/').unwrap();
    let report = discovery
        .full_repository_sync(Forge::GitHub, owner, name)
        .await
        .unwrap();
    assert_eq!(report.stargazers, repo.stargazers.len());
    let (stars, watchers, owner_login, profiled): (i64, i64, String, bool) = sqlx::query_as(
        "SELECT r.stars, r.watchers, d.login, d.profiled_at IS NOT NULL
         FROM repositories r JOIN developers d ON d.id = r.owner_id WHERE r.id = $1",
    )
    .bind(report.repository)
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    assert_eq!(usize::try_from(stars).unwrap(), repo.stargazers.len());
    assert_eq!(usize::try_from(watchers).unwrap(), repo.watchers.len());
    assert_eq!(owner_login, owner);
    assert!(profiled, "the owner's profile is read");
    let gazers: BTreeSet<String> = sqlx::query_scalar(
        "SELECT d.login FROM stars s JOIN developers d ON d.id = s.developer_id
         WHERE s.repository_id = $1",
    )
    .bind(report.repository)
    .fetch_all(db.store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    let truth: BTreeSet<String> = repo
        .stargazers
        .iter()
        .map(|(who, _)| world.account(*who).username.clone())
        .collect();
    assert_eq!(gazers, truth);
    simulator.stop().await;
}

#[tokio::test]
async fn only_github_is_followed() {
    let (simulator, _db, discovery) = setup().await;
    let refused = discovery
        .full_profile_sync(Forge::GitLab, "anyone")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("GitHub only"), "{refused}");
    simulator.stop().await;
}
