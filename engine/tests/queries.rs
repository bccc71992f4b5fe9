//! Queries end to end on real Postgres and the simulator: creation with
//! validation, tallies equal to the truth, keyset pages and day views.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;

use common::{day, people, spec, world};
use engine::Error;
use engine::forge::directory::Directory;
use engine::queries::fill::{Filler, Freshness};
use engine::queries::{self, Bounds};
use engine::store::testing::TestDb;
use model::contribution::{Contribution, ContributionKind};
use model::forge::Forge;
use model::period::Period;
use model::query::{AccountSpec, AccountState, QueryHash, QuerySpec};
use sim::server::{SimConfig, Simulator};

async fn setup() -> (Simulator, TestDb, Filler) {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let syncer = Filler::new(
        db.store.clone(),
        std::sync::Arc::new(Directory::new(common::endpoints(&simulator))),
        Freshness::default(),
    );
    (simulator, db, syncer)
}

/// Saves a query and fills the cache for it; the hash and the normalized
/// spec come back.
async fn saved_and_filled(
    db: &TestDb,
    syncer: &Filler,
    spec: &QuerySpec,
) -> (QueryHash, QuerySpec) {
    let hash = queries::create(&db.store, spec, Bounds::default())
        .await
        .unwrap();
    let spec = db.store.load_query(&hash).await.unwrap().unwrap();
    queries::refresh(syncer, &spec).await;
    (hash, spec)
}

#[tokio::test]
async fn a_query_tallies_the_truth_and_lists_it_in_stable_pages() {
    let (simulator, db, syncer) = setup().await;
    let world = &simulator.world;
    let gh = people(world, Forge::GitHub, 1).remove(0);
    let gl = people(world, Forge::GitLab, 1).remove(0);
    let spec = spec(
        vec![
            (
                Some("Both"),
                vec![format!("github:{gh}"), format!("gitlab:{gl}")],
            ),
            (None, vec!["github:no-such-person-x".into()]),
        ],
        "2026-01-01",
        "2026-03-31",
    );
    let (hash, spec) = saved_and_filled(&db, &syncer, &spec).await;
    let summary = queries::summary(&db.store, &hash, &spec).await.unwrap();
    // Every day fetched; the forge's missing account has none to fetch.
    assert!(summary.complete(), "{summary:?}");
    assert_eq!(summary.people[1].accounts[0].state, AccountState::NotFound);

    let truth_total = |forge, login: &str| {
        let account = world.find_account(forge, login).unwrap();
        sim::truth::truth(world, account.id, day("2026-01-01"), day("2026-03-31")).total
    };
    let expected = truth_total(Forge::GitHub, &gh) + truth_total(Forge::GitLab, &gl);
    let both = summary.people.iter().find(|p| p.name == "Both").unwrap();
    assert_eq!(both.total, expected);
    assert_eq!(summary.total, expected, "the unknown person adds nothing");
    let unknown = summary.people.iter().find(|p| p.name != "Both").unwrap();
    assert_eq!(unknown.accounts[0].state, AccountState::NotFound);
    assert!(both.accounts.iter().all(|a| a.state == AccountState::Ok));

    // Pages of 7 add up to the whole list, newest first, each item once.
    let mut seen: Vec<Contribution> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = queries::page(&db.store, &spec, after.as_deref(), 7)
            .await
            .unwrap();
        assert!(page.items.len() <= 7);
        seen.extend(page.items.into_iter().map(|i| i.contribution));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, expected);
    assert!(
        seen.windows(2)
            .all(|w| w[0].occurred_at >= w[1].occurred_at)
    );
    let keys: HashSet<_> = seen
        .iter()
        .map(|c| (c.kind, c.id.clone(), c.forge))
        .collect();
    assert_eq!(keys.len(), seen.len());

    // A busy day lists exactly what the truth counts for it.
    let busiest = seen
        .iter()
        .map(|c| c.occurred_at.date_naive())
        .max_by_key(|d| {
            seen.iter()
                .filter(|c| c.occurred_at.date_naive() == *d)
                .count()
        })
        .unwrap();
    let day_page = queries::period(&db.store, &spec, Period::Day(busiest), None, 500)
        .await
        .unwrap();
    let on_day = seen
        .iter()
        .filter(|c| c.occurred_at.date_naive() == busiest)
        .count();
    assert_eq!(day_page.items.len(), on_day);
    simulator.stop().await;
}

#[tokio::test]
async fn pages_already_read_do_not_shift_when_new_items_arrive() {
    let (simulator, db, syncer) = setup().await;
    let gh = people(&simulator.world, Forge::GitHub, 1).remove(0);
    let spec = spec(
        vec![(None, vec![format!("github:{gh}")])],
        "2026-01-01",
        "2026-02-28",
    );
    queries::refresh(&syncer, &spec).await;
    let first = queries::page(&db.store, &spec, None, 10).await.unwrap();
    let rest_before = queries::page(&db.store, &spec, first.next.as_deref(), 10)
        .await
        .unwrap();

    // A new item newer than everything arrives (a refresh of recent days).
    let account = AccountSpec::parse(&format!("github:{gh}")).unwrap();
    let id = db.store.identity(&account).await.unwrap();
    let mut newest = first.items[0].contribution.clone();
    newest.id = "brand-new".into();
    newest.occurred_at =
        chrono::Utc::now().min(day("2026-02-28").and_hms_opt(23, 59, 0).unwrap().and_utc());
    let on_that_day = newest.occurred_at.date_naive();
    let mut kept: Vec<Contribution> = Vec::new();
    let mut after = None;
    loop {
        let page = queries::period(
            &db.store,
            &spec,
            Period::Day(on_that_day),
            after.as_deref(),
            500,
        )
        .await
        .unwrap();
        kept.extend(page.items.into_iter().map(|i| i.contribution));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    kept.push(newest);
    db.store
        .replace_days(id, on_that_day, on_that_day, &kept)
        .await
        .unwrap();

    let rest_after = queries::page(&db.store, &spec, first.next.as_deref(), 10)
        .await
        .unwrap();
    assert_eq!(
        rest_after, rest_before,
        "the second page is the same as before"
    );
    let top = queries::page(&db.store, &spec, None, 1).await.unwrap();
    assert_eq!(top.items[0].contribution.id, "brand-new");
    simulator.stop().await;
}

#[tokio::test]
async fn bad_queries_are_refused_naming_the_field() {
    let (simulator, db, _syncer) = setup().await;
    let mut spec = spec(
        vec![(None, vec!["github:octocat".into()])],
        "2026-03-01",
        "2026-01-01",
    );
    let Err(Error::Query(refused)) = queries::create(&db.store, &spec, Bounds::default()).await
    else {
        panic!("the query is refused");
    };
    assert_eq!(refused.field, "from");
    spec.to = day("2026-04-01");
    let tight = Bounds {
        max_identities: 1,
        max_years: 1,
        ..Bounds::default()
    };
    spec.people.push(spec.people[0].clone());
    spec.people[1].accounts[0].username = "other".into();
    let Err(Error::Query(refused)) = queries::create(&db.store, &spec, tight).await else {
        panic!("the query is refused");
    };
    assert_eq!(refused.field, "people");
    assert!(
        queries::page(&db.store, &spec, Some("not a cursor!"), 10)
            .await
            .is_err()
    );
    simulator.stop().await;
}

/// What the graphs draw equals the simulator's truth: per person and day,
/// per forge, per repository and per kind, over a range across a year's end.
#[tokio::test]
async fn the_graphs_count_the_truth() {
    let (simulator, db, syncer) = setup().await;
    let world = &simulator.world;
    let (from, to) = ("2025-11-01", "2026-02-28");
    let github = people(world, Forge::GitHub, 2);
    let gitlab = people(world, Forge::GitLab, 1).remove(0);
    let accounts = [
        vec![
            (Forge::GitHub, github[0].clone()),
            (Forge::GitLab, gitlab.clone()),
        ],
        vec![(Forge::GitHub, github[1].clone())],
    ];
    let spec = spec(
        vec![
            (
                Some("Ann"),
                vec![format!("github:{}", github[0]), format!("gitlab:{gitlab}")],
            ),
            (Some("Bo"), vec![format!("github:{}", github[1])]),
        ],
        from,
        to,
    );
    let (hash, spec) = saved_and_filled(&db, &syncer, &spec).await;
    let summary = queries::summary(&db.store, &hash, &spec).await.unwrap();
    let activity = queries::activity(&db.store, &hash, &spec).await.unwrap();
    assert!(activity.complete(), "{:?}", activity.unfetched);

    let truth = |forge, login: &str| {
        let account = world.find_account(forge, login).unwrap();
        sim::truth::truth(world, account.id, day(from), day(to))
    };
    let mut everyone: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut by_forge: BTreeMap<Forge, u64> = BTreeMap::new();
    let mut by_repo: BTreeMap<(Forge, String), u64> = BTreeMap::new();
    let mut by_kind: BTreeMap<ContributionKind, u64> = BTreeMap::new();
    for (index, person) in spec.people.iter().enumerate() {
        let name = person.name.as_deref().unwrap();
        let mut days: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        for (forge, login) in &accounts[if name == "Ann" { 0 } else { 1 }] {
            let truth = truth(*forge, login);
            for (on, n) in &truth.by_day {
                *days.entry(*on).or_default() += n;
                *everyone.entry(*on).or_default() += n;
            }
            *by_forge.entry(*forge).or_default() += truth.total;
            for (repo, n) in truth.by_repo {
                *by_repo.entry((*forge, repo)).or_default() += n;
            }
            for (kind, n) in truth.by_kind {
                *by_kind.entry(kind).or_default() += n;
            }
        }
        assert!(!days.is_empty(), "{name} has items in the range");
        assert_eq!(activity.day_totals(Some(index)), days, "{name}'s days");
    }
    assert_eq!(activity.day_totals(None), everyone);
    assert_eq!(
        activity.by_forge().into_iter().collect::<BTreeMap<_, _>>(),
        by_forge
    );
    let repositories: BTreeMap<_, _> = activity
        .repositories
        .iter()
        .map(|r| ((r.forge, r.repository.clone()), r.count))
        .collect();
    assert_eq!(repositories, by_repo);
    let weekly: BTreeMap<_, _> = activity
        .weekly_by_kind()
        .into_iter()
        .map(|(kind, weeks)| (kind, weeks.iter().sum::<u64>()))
        .collect();
    assert_eq!(weekly, by_kind);
    assert_eq!(activity.total(), summary.total);
    assert_eq!(activity.years(), vec![2025, 2026]);

    // A filter narrows the graphs exactly as it narrows the tallies.
    let mut commits_only = spec.clone();
    commits_only.kinds = vec![ContributionKind::Commit];
    let commits = queries::activity(&db.store, &commits_only.hash(), &commits_only)
        .await
        .unwrap();
    assert_eq!(commits.total(), by_kind[&ContributionKind::Commit]);
    assert!(
        commits
            .series
            .iter()
            .all(|s| s.kind == ContributionKind::Commit)
    );
    simulator.stop().await;
}

#[tokio::test]
async fn accounts_no_query_used_for_long_are_forgotten_and_fetched_again_when_opened() {
    let (simulator, db, syncer) = setup().await;
    let world = &simulator.world;
    let (old, recent) = {
        let mut two = people(world, Forge::GitHub, 2);
        (two.remove(0), two.remove(0))
    };
    let spec = spec(
        vec![
            (Some("Old"), vec![format!("github:{old}")]),
            (Some("Recent"), vec![format!("github:{recent}")]),
        ],
        "2026-01-01",
        "2026-03-31",
    );
    let (hash, spec) = saved_and_filled(&db, &syncer, &spec).await;
    let before = queries::summary(&db.store, &hash, &spec).await.unwrap();
    assert!(before.complete());
    let pool = db.store.pool();
    let age = |login: String, days: i32| async move {
        sqlx::query(
            "UPDATE identities SET used_at = now() - make_interval(days => $2) WHERE lower(username) = lower($1)",
        )
        .bind(login)
        .bind(days)
        .execute(pool)
        .await
        .unwrap();
    };
    let rows = |table: &'static str, login: String| async move {
        sqlx::query_scalar::<_, i64>(&format!(
            "SELECT count(*) FROM {table} t JOIN identities i ON i.id = t.identity_id WHERE lower(i.username) = lower($1)"
        ))
        .bind(login)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    age(old.clone(), 200).await;
    age(recent.clone(), 100).await;

    // Opening the query's accounts counts as using them.
    // (People are kept in their normalized order.)
    let index = |name: &str| {
        spec.people
            .iter()
            .position(|p| p.name.as_deref() == Some(name))
            .unwrap()
    };
    let (old_index, recent_index) = (index("Old"), index("Recent"));
    syncer
        .are_current(&spec.people[recent_index].accounts, spec.from, spec.to)
        .await
        .unwrap();
    let forgotten = db
        .store
        .forget_unused_identities(chrono::Duration::days(180))
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    assert_eq!(rows("coverage", old.clone()).await, 0);
    assert!(rows("contributions", recent.clone()).await > 0);
    assert_eq!(rows("coverage", recent.clone()).await, 90);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM contributions c WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.id = c.identity_id)")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the forgotten account's items went with it");

    // The query stays: it says what it misses, and opening it again fetches
    // the forgotten account back to the same numbers.
    let forgetful = queries::summary(&db.store, &hash, &spec).await.unwrap();
    assert_eq!(forgetful.people[old_index].accounts[0].unfetched_days, 90);
    assert_eq!(
        forgetful.people[recent_index].total,
        before.people[recent_index].total
    );
    queries::refresh(&syncer, &spec).await;
    let again = queries::summary(&db.store, &hash, &spec).await.unwrap();
    assert_eq!(again, before);
    simulator.stop().await;
}
