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

use engine::discovery::{Discovery, DiscoverySettings, Outcome, Progress};
use engine::forge::directory::Directory;
use engine::store::discovery::DeveloperId;
use engine::store::testing::TestDb;
use model::forge::Forge;
use model::ids::TaskRunId;
use model::tasks::{TaskRequest, TaskState};
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};
use sim::world::{Account, Owner, World};

async fn setup() -> (Simulator, TestDb, Discovery) {
    let simulator = Simulator::start(common::world_of(60, 1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let discovery = discovery_on(&db, common::endpoints(&simulator), common::impatient);
    (simulator, db, discovery)
}

fn discovery_on(
    db: &TestDb,
    endpoints: Vec<engine::forge::Endpoint>,
    limits: impl Fn() -> engine::forge::http::Limits + Send + Sync + 'static,
) -> Discovery {
    let directory = Arc::new(Directory::with_limits(endpoints, limits));
    Discovery::new(db.store.clone(), directory, DiscoverySettings::default())
}

fn profile_sync(login: &str) -> TaskRequest {
    TaskRequest::FullProfileSync {
        forge: Forge::GitHub,
        username: login.to_owned(),
    }
}

fn scraper(count: u32) -> TaskRequest {
    TaskRequest::DiscoveryScraper {
        forge: Forge::GitHub,
        count,
    }
}

async fn state_of(db: &TestDb, run: TaskRunId) -> model::tasks::TaskRun {
    db.store.task_run(run, "").await.unwrap().unwrap()
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
        .full_profile_sync(Forge::GitHub, &seed.username, &mut Progress::untracked())
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
        .full_profile_sync(Forge::GitHub, &seed.username, &mut Progress::untracked())
        .await
        .unwrap();
    assert_eq!(again.developer, report.developer, "the same row");
    assert_eq!(row_counts(&db).await, before, "no duplicates");
    assert_same(&stored(&db, report.developer).await, &truth, &seed.username);
    simulator.stop().await;
}

/// The logins a scraper run synced, from its children.
async fn synced_by(db: &TestDb, run: TaskRunId) -> Vec<String> {
    let children = db.store.child_runs(run, "").await.unwrap();
    assert!(
        children.iter().all(|c| c.state == TaskState::Succeeded),
        "{children:?}"
    );
    children
        .iter()
        .map(|c| c.parameters["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_scraper_visits_the_nearest_first_and_each_matches_the_world() {
    let (simulator, db, discovery) = setup().await;
    let world = &simulator.world;
    let seed = busiest(world);
    discovery
        .run_now(&profile_sync(&seed.username), "test")
        .await
        .unwrap();
    let (run, outcome) = discovery.run_now(&scraper(5), "test").await.unwrap();
    assert_eq!(outcome, Outcome::Finished);
    let synced = synced_by(&db, run).await;
    assert_eq!(synced.len(), 5);
    let scraped = state_of(&db, run).await;
    assert_eq!(scraped.state, TaskState::Succeeded);
    assert_eq!((scraped.progress.done, scraped.progress.total), (5, 5));
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
    let (next, _) = discovery.run_now(&scraper(5), "test").await.unwrap();
    let next = synced_by(&db, next).await;
    assert!(next.iter().all(|login| !synced.contains(login)), "{next:?}");
    simulator.stop().await;
}

/// Everything a crawl stored, by logins and names, to compare two crawls.
async fn snapshot(db: &TestDb) -> Vec<BTreeSet<String>> {
    let mut sets = Vec::new();
    for sql in [
        "SELECT login || ' ' || coalesce(followers, -1) || ' ' || coalesce(distance, -1) || ' '
             || (synced_at IS NOT NULL) FROM developers",
        "SELECT owner_login || '/' || name || ' ' || stars || ' ' || watchers FROM repositories",
        "SELECT a.login || ' -> ' || b.login FROM follows f
             JOIN developers a ON a.id = f.follower_id JOIN developers b ON b.id = f.followed_id",
        "SELECT d.login || ' * ' || r.owner_login || '/' || r.name || ' ' || coalesce(s.starred_at::text, '')
             FROM stars s JOIN developers d ON d.id = s.developer_id
             JOIN repositories r ON r.id = s.repository_id",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(db.store.pool())
            .await
            .unwrap();
        let set: BTreeSet<String> = rows.iter().cloned().collect();
        assert_eq!(set.len(), rows.len(), "no row twice: {sql}");
        sets.push(set);
    }
    sets
}

#[tokio::test]
async fn a_crawl_reaches_exactly_the_worlds_developers_and_edges_and_again_changes_nothing() {
    let (simulator, db, discovery) = setup().await;
    let world = &simulator.world;
    let seed = busiest(world);
    discovery
        .run_now(&profile_sync(&seed.username), "test")
        .await
        .unwrap();
    let (first, _) = discovery.run_now(&scraper(4), "test").await.unwrap();
    let (second, _) = discovery.run_now(&scraper(4), "test").await.unwrap();
    let mut synced = vec![seed.username.clone()];
    synced.extend(synced_by(&db, first).await);
    synced.extend(synced_by(&db, second).await);

    // What the world says the reached set is: those synced, everyone in
    // their lists, the stargazers of what they own, and the owners of what
    // they starred.
    let mut developers = BTreeSet::new();
    let mut follows = BTreeSet::new();
    let mut stars = BTreeSet::new();
    for login in &synced {
        let account = world.find_account(Forge::GitHub, login).unwrap();
        let truth = network(world, account);
        developers.insert(login.clone());
        for follower in &truth.followers {
            follows.insert(format!("{follower} -> {login}"));
        }
        for followed in &truth.following {
            follows.insert(format!("{login} -> {followed}"));
        }
        for repo in &truth.starred {
            stars.insert(format!("{login} * {repo}"));
            developers.insert(repo.split_once('/').unwrap().0.to_owned());
        }
        for (repo, gazer) in &truth.stargazers {
            stars.insert(format!("{gazer} * {repo}"));
        }
        developers.extend(truth.followers.iter().cloned());
        developers.extend(truth.following.iter().cloned());
        developers.extend(truth.stargazers.iter().map(|(_, who)| who.clone()));
    }
    let pool = db.store.pool();
    let column = |sql: &'static str| async move {
        sqlx::query_scalar::<_, String>(sql)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(column("SELECT login FROM developers").await, developers);
    assert_eq!(
        column(
            "SELECT a.login || ' -> ' || b.login FROM follows f
             JOIN developers a ON a.id = f.follower_id JOIN developers b ON b.id = f.followed_id"
        )
        .await,
        follows
    );
    assert_eq!(
        column(
            "SELECT d.login || ' * ' || r.owner_login || '/' || r.name FROM stars s
             JOIN developers d ON d.id = s.developer_id JOIN repositories r ON r.id = s.repository_id"
        )
        .await,
        stars
    );

    // Running every sync again finds the same rows, none twice.
    let before = snapshot(&db).await;
    for login in &synced {
        discovery
            .run_now(&profile_sync(login), "test")
            .await
            .unwrap();
    }
    assert_eq!(snapshot(&db).await, before);
    simulator.stop().await;
}

#[tokio::test]
async fn a_run_cut_off_mid_way_resumes_after_its_last_step_and_ends_identical() {
    let (simulator, db, discovery) = setup().await;
    let seed = busiest(&simulator.world).username.clone();
    // A clean run, for comparison.
    let clean_db = TestDb::new().await;
    let clean = discovery_on(&clean_db, common::endpoints(&simulator), common::impatient);
    clean.run_now(&profile_sync(&seed), "test").await.unwrap();

    // Slow answers, so the run can be cut off between steps.
    common::set_faults(
        &simulator,
        Forge::GitHub,
        serde_json::json!({"latency_ms": 60}),
    )
    .await;
    let discovery = Arc::new(discovery);
    let run = db
        .store
        .create_run(&profile_sync(&seed), "test", None)
        .await
        .unwrap();
    let working = tokio::spawn({
        let discovery = discovery.clone();
        async move { discovery.execute(run).await }
    });
    while state_of(&db, run).await.progress.done < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    working.abort();
    let cut = state_of(&db, run).await;
    assert_eq!(cut.state, TaskState::Running, "cut off, not finished");
    assert!(cut.progress.done < cut.progress.total, "{:?}", cut.progress);

    simulator.set_faults(Forge::GitHub, Faults::default());
    let requests_before = simulator.requests(Forge::GitHub);
    assert_eq!(discovery.execute(run).await.unwrap(), Outcome::Finished);
    let resumed = state_of(&db, run).await;
    assert_eq!(resumed.state, TaskState::Succeeded);
    let starts: i32 = sqlx::query_scalar("SELECT starts FROM task_runs WHERE id = $1")
        .bind(run)
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(starts, 2);
    // The resumed attempt skipped the lists the first one stored: it made
    // fewer requests than a whole run.
    let resumed_requests = simulator.requests(Forge::GitHub) - requests_before;
    let whole = {
        let before = simulator.requests(Forge::GitHub);
        clean.run_now(&profile_sync(&seed), "test").await.unwrap();
        simulator.requests(Forge::GitHub) - before
    };
    assert!(resumed_requests < whole, "{resumed_requests} of {whole}");
    assert_eq!(snapshot(&db).await, snapshot(&clean_db).await);
    simulator.stop().await;
}

#[tokio::test]
async fn an_anonymous_budget_defers_runs_to_the_reset_and_then_they_complete() {
    // GitHub's anonymous 60 an hour, in a window of 3 seconds; discovery
    // may spend a twentieth of it, 3 requests a window.
    let mut config = SimConfig::default();
    config.github.unauthenticated_core = sim::server::budget::Limit {
        units: 60,
        window: std::time::Duration::from_secs(3),
    };
    let simulator = Simulator::start(common::world_of(60, 1), config)
        .await
        .unwrap();
    let db = TestDb::new().await;
    let anonymous = vec![common::endpoint(&simulator, Forge::GitHub, None)];
    let discovery = discovery_on(&db, anonymous, || common::deferring(0.05));
    let seed = busiest(&simulator.world);
    let run = db
        .store
        .create_run(&profile_sync(&seed.username), "test", None)
        .await
        .unwrap();
    let mut deferrals = 0;
    loop {
        match discovery.execute(run).await.unwrap() {
            Outcome::Finished => break,
            Outcome::Deferred(until) => {
                deferrals += 1;
                let state = state_of(&db, run).await;
                assert_eq!(state.state, TaskState::Deferred);
                assert_eq!(state.deferred_until, Some(until));
                let wait = (until - chrono::Utc::now()).to_std().unwrap_or_default();
                assert!(wait <= std::time::Duration::from_secs(4), "{wait:?}");
                tokio::time::sleep(wait + std::time::Duration::from_millis(50)).await;
            }
        }
        assert!(deferrals < 50, "the run makes progress");
    }
    assert!(
        deferrals >= 1,
        "a profile sync (at least 5 requests) does not fit 3"
    );
    assert_eq!(state_of(&db, run).await.state, TaskState::Succeeded);
    let id: DeveloperId = sqlx::query_scalar("SELECT id FROM developers WHERE login = $1")
        .bind(&seed.username)
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_same(
        &stored(&db, id).await,
        &network(&simulator.world, seed),
        &seed.username,
    );
    // Discovery's budget is kept where every process can read it.
    let limits = db.store.rate_limits().await.unwrap();
    assert_eq!(limits.len(), 1, "{limits:?}");
    assert_eq!(
        (limits[0].token.as_str(), limits[0].limit),
        ("anonymous", 60)
    );
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
        .full_repository_sync(Forge::GitHub, owner, name, &mut Progress::untracked())
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
        .full_profile_sync(Forge::GitLab, "anyone", &mut Progress::untracked())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("GitHub only"), "{refused}");
    simulator.stop().await;
}

#[tokio::test]
async fn a_schedule_runs_once_per_period_across_processes() {
    let db = TestDb::new().await;
    let period = std::time::Duration::from_secs(1);
    // Two processes asking as fast as they can for three and a half periods.
    let ask = |by: &'static str| {
        let store = db.store.clone();
        async move {
            let end = std::time::Instant::now() + period * 7 / 2;
            let mut won = Vec::new();
            while std::time::Instant::now() < end {
                // The database's time of each run: a client's clock after
                // the answer would add its own scheduling delays.
                if let Some(at) = store
                    .claim_schedule("beat", period, true, by)
                    .await
                    .unwrap()
                {
                    won.push(at);
                }
            }
            won
        }
    };
    let (first, second) = tokio::join!(ask("first"), ask("second"));
    let mut runs: Vec<_> = first.iter().chain(&second).copied().collect();
    runs.sort();
    assert!(
        (3..=4).contains(&runs.len()),
        "{} runs in 3.5 periods",
        runs.len()
    );
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= chrono::Duration::seconds(1), "two runs {gap} apart");
    }
    let schedules = db.store.schedules().await.unwrap();
    assert_eq!(schedules.len(), 1);
    assert_eq!(schedules[0].runs, u64::try_from(runs.len()).unwrap());
}

#[tokio::test]
async fn a_developer_whose_profile_is_gone_is_passed_over_and_an_organisation_is_crawled() {
    let (simulator, db, discovery) = setup().await;
    let world = &simulator.world;
    let instance = engine::forge::instance_of(simulator.url(Forge::GitHub).unwrap());
    let org = world
        .orgs
        .iter()
        .find(|o| o.forge == Forge::GitHub)
        .unwrap()
        .login
        .clone();
    // Two developers met in lists: one whose account is gone, one an organisation.
    let met = [
        engine::forge::github::network::Person {
            id: 4_000_000_001,
            login: "gone-away".into(),
        },
        engine::forge::github::network::Person {
            id: 4_000_000_002,
            login: org.clone(),
        },
    ];
    db.store
        .upsert_people(Forge::GitHub, &instance, &met, Some(0))
        .await
        .unwrap();
    let (first, _) = discovery.run_now(&scraper(2), "test").await.unwrap();
    let children = db.store.child_runs(first, "").await.unwrap();
    let state = |login: &str| {
        children
            .iter()
            .find(|c| c.parameters["username"] == login)
            .map(|c| (c.state, c.error.clone()))
            .unwrap()
    };
    let (gone, why) = state("gone-away");
    assert_eq!(gone, TaskState::Failed);
    assert!(why.unwrap().contains("not found"));
    assert_eq!(
        state(&org).0,
        TaskState::Succeeded,
        "an organisation's lists are read"
    );
    assert_eq!(state_of(&db, first).await.state, TaskState::Succeeded);
    // The next scraper run does not pick the gone developer again.
    let (second, _) = discovery.run_now(&scraper(5), "test").await.unwrap();
    let next = db.store.child_runs(second, "").await.unwrap();
    assert!(
        next.iter().all(|c| c.parameters["username"] != "gone-away"),
        "{next:?}"
    );
    simulator.stop().await;
}

/// The count every list page carries, as the store answers it.
async fn listed_count(
    store: &engine::store::Store,
    scope: engine::store::discovery_list::Repositories,
) -> u64 {
    use engine::store::discovery_list::{Order, RepositoryFilters, SortKey};
    let order = Order::parse("-stars", &SortKey::REPOSITORIES).unwrap();
    store
        .list_repositories(scope, &RepositoryFilters::default(), order, None, 5, "")
        .await
        .unwrap()
        .count
}

#[tokio::test]
async fn a_lists_count_follows_every_committed_change_whichever_process_makes_it() {
    use engine::store::discovery_list::Repositories;
    let (simulator, db, discovery) = setup().await;
    let seed = busiest(&simulator.world);
    let report = discovery
        .full_profile_sync(Forge::GitHub, &seed.username, &mut Progress::untracked())
        .await
        .unwrap();
    let truth = |sql: &'static str| {
        let pool = db.store.pool().clone();
        async move {
            let n: i64 = sqlx::query_scalar(sql)
                .bind(report.developer)
                .fetch_one(&pool)
                .await
                .unwrap();
            u64::try_from(n).unwrap()
        }
    };
    let all = "SELECT count(*) FROM repositories WHERE $1::bigint IS NOT NULL";
    let starred = "SELECT count(*) FROM stars WHERE developer_id = $1";
    let starred_by = Repositories::StarredBy(report.developer);
    // Asked twice, so the second answer comes from the kept count.
    for _ in 0..2 {
        assert_eq!(
            listed_count(&db.store, Repositories::All).await,
            truth(all).await
        );
        assert_eq!(
            listed_count(&db.store, starred_by).await,
            truth(starred).await
        );
    }

    // Another process (its own pool) removes a star and adds a repository.
    let other = engine::store::Store::connect_url(&db.url).await.unwrap();
    let mut tx = other.pool().begin().await.unwrap();
    sqlx::query(
        "DELETE FROM stars WHERE (developer_id, repository_id) IN \
         (SELECT developer_id, repository_id FROM stars WHERE developer_id = $1 LIMIT 1)",
    )
    .bind(report.developer)
    .execute(&mut *tx)
    .await
    .unwrap();
    // Uncommitted, the change is invisible and the count stands.
    let starred_before = listed_count(&db.store, starred_by).await;
    assert_eq!(starred_before, truth(starred).await);
    sqlx::query(
        "INSERT INTO repositories (forge, instance, forge_id, owner_login, name) \
         VALUES ('github', 'elsewhere', 'new-1', 'someone', 'new')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let before = listed_count(&db.store, Repositories::All).await;
    tx.commit().await.unwrap();
    assert_eq!(
        listed_count(&db.store, starred_by).await,
        starred_before - 1
    );
    assert_eq!(
        listed_count(&db.store, starred_by).await,
        truth(starred).await
    );
    assert_eq!(listed_count(&db.store, Repositories::All).await, before + 1);
    assert_eq!(
        listed_count(&db.store, Repositories::All).await,
        truth(all).await
    );
    simulator.stop().await;
}
