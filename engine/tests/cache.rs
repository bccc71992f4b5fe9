//! The contribution cache on real Postgres against the simulator: numbers
//! equal the truth, overlapping queries reuse data, widening fetches only
//! the new days, concurrent openings fetch once, failures stay failures.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::sync::Arc;

use common::{account, day, days_fetched, people, set_faults, with_faults, world};
use engine::forge::directory::Directory;
use engine::queries::fill::{Filler, Freshness, Outcome};
use engine::store::contributions::Filters;
use engine::store::testing::TestDb;
use model::contribution::ContributionKind;
use model::forge::Forge;
use model::query::{AccountSpec, PersonSpec, QueryHash, QuerySpec};
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};

async fn setup(config: SimConfig) -> (Simulator, TestDb, Filler) {
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let db = TestDb::new().await;
    let directory = Arc::new(Directory::with_limits(
        common::endpoints(&simulator),
        common::impatient,
    ));
    let syncer = Filler::new(db.store.clone(), directory, Freshness::default());
    (simulator, db, syncer)
}

/// The stored counts per kind for one identity, as `sim::truth` names kinds.
async fn stored_kinds(syncer: &Filler, id: i64, from: &str, to: &str) -> serde_json::Value {
    let counts = syncer
        .store()
        .counts(&[id], day(from), day(to), &Filters::default())
        .await
        .unwrap();
    let mut map: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for tally in counts.days {
        let kind = serde_json::to_value(tally.kind).unwrap();
        *map.entry(kind.as_str().unwrap().to_owned()).or_default() += tally.count;
    }
    serde_json::to_value(map).unwrap()
}

fn truth_kinds(
    simulator: &Simulator,
    forge: Forge,
    login: &str,
    from: &str,
    to: &str,
) -> serde_json::Value {
    let world = &simulator.world;
    let account = world.find_account(forge, login).unwrap();
    serde_json::to_value(sim::truth::truth(world, account.id, day(from), day(to)).by_kind).unwrap()
}

#[tokio::test]
async fn cached_numbers_equal_the_truth_and_overlaps_reuse_them() {
    let (simulator, _db, syncer) = setup(SimConfig::default()).await;
    let github = people(&simulator.world, Forge::GitHub, 2);
    let gitlab = people(&simulator.world, Forge::GitLab, 1).remove(0);
    let (from, to) = ("2026-01-01", "2026-06-30");
    for login in &github {
        let (id, outcome) = syncer
            .ensure(&account(Forge::GitHub, login), day(from), day(to))
            .await
            .unwrap();
        // 181 days: two pieces of at most 92.
        assert_eq!(outcome, Outcome::Ready { fetched: 2 });
        assert_eq!(
            stored_kinds(&syncer, id, from, to).await,
            truth_kinds(&simulator, Forge::GitHub, login, from, to)
        );
    }
    let (id, _) = syncer
        .ensure(&account(Forge::GitLab, &gitlab), day(from), day(to))
        .await
        .unwrap();
    assert_eq!(
        stored_kinds(&syncer, id, from, to).await,
        truth_kinds(&simulator, Forge::GitLab, &gitlab, from, to)
    );

    // Another query sharing a person: nothing is fetched for them, and a
    // narrower range inside what is cached fetches nothing either.
    let fetched = syncer.fetch_log().len();
    let (_, again) = syncer
        .ensure(
            &account(Forge::GitHub, &github[0]),
            day("2026-02-01"),
            day("2026-03-31"),
        )
        .await
        .unwrap();
    assert_eq!(again, Outcome::Ready { fetched: 0 });
    assert_eq!(syncer.fetch_log().len(), fetched);
    simulator.stop().await;
}

#[tokio::test]
async fn widening_the_range_fetches_only_the_new_days() {
    let (simulator, _db, syncer) = setup(SimConfig::default()).await;
    let login = people(&simulator.world, Forge::GitHub, 1).remove(0);
    let who = account(Forge::GitHub, &login);
    syncer
        .ensure(&who, day("2026-03-01"), day("2026-04-30"))
        .await
        .unwrap();
    let (id, _) = syncer
        .ensure(&who, day("2026-01-15"), day("2026-05-10"))
        .await
        .unwrap();
    let log: Vec<_> = syncer
        .fetch_log()
        .into_iter()
        .map(|(_, a, b)| (a, b))
        .collect();
    assert_eq!(
        log,
        vec![
            (day("2026-03-01"), day("2026-04-30")),
            // Newest first, so the list fills in from its top.
            (day("2026-05-01"), day("2026-05-10")),
            (day("2026-01-15"), day("2026-02-28")),
        ]
    );
    let (from, to) = ("2026-01-15", "2026-05-10");
    assert_eq!(
        stored_kinds(&syncer, id, from, to).await,
        truth_kinds(&simulator, Forge::GitHub, &login, from, to)
    );
    simulator.stop().await;
}

#[tokio::test]
async fn concurrent_openings_fetch_each_identity_once() {
    let (simulator, _db, syncer) = setup(SimConfig::default()).await;
    let syncer = Arc::new(syncer);
    let login = people(&simulator.world, Forge::Gerrit, 1).remove(0);
    let who = account(Forge::Gerrit, &login);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let syncer = syncer.clone();
            let who = who.clone();
            tokio::spawn(async move {
                syncer
                    .ensure(&who, day("2025-11-01"), day("2026-10-31"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        let (_, outcome) = task.await.unwrap();
        assert!(matches!(outcome, Outcome::Ready { .. }), "{outcome:?}");
    }
    // One fetch for six openings: each of the 365 days fetched once.
    assert_eq!(days_fetched(syncer.fetch_log()), (365, 365));
    // The lock they shared went with the last of them.
    assert_eq!(syncer.locks_held(), 0);
    // So does one whose opening was abandoned mid-fetch.
    let other = account(
        Forge::Gerrit,
        &people(&simulator.world, Forge::Gerrit, 2).remove(1),
    );
    let abandoned = tokio::spawn({
        let syncer = syncer.clone();
        async move {
            syncer
                .ensure(&other, day("2016-01-01"), day("2026-10-31"))
                .await
        }
    });
    while syncer.locks_held() == 0 && !abandoned.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    abandoned.abort();
    let _ = abandoned.await;
    assert_eq!(syncer.locks_held(), 0);
    simulator.stop().await;
}

#[tokio::test]
async fn two_processes_opening_one_identity_fetch_each_day_once() {
    let (simulator, db, here) = setup(SimConfig::default()).await;
    // A second process: its own pool, clients and in-process locks.
    let elsewhere = Filler::new(
        engine::store::Store::connect_url(&db.url).await.unwrap(),
        Arc::new(Directory::with_limits(
            common::endpoints(&simulator),
            common::impatient,
        )),
        Freshness::default(),
    );
    let login = people(&simulator.world, Forge::GitLab, 1).remove(0);
    let who = account(Forge::GitLab, &login);
    let (from, to) = (day("2025-11-01"), day("2026-10-31"));
    let (a, b) = tokio::join!(
        here.ensure(&who, from, to),
        elsewhere.ensure(&who, from, to)
    );
    let (id, _) = a.unwrap();
    b.unwrap();
    let log = here.fetch_log().into_iter().chain(elsewhere.fetch_log());
    assert_eq!(days_fetched(log), (365, 365));
    assert_eq!(
        stored_kinds(&here, id, "2025-11-01", "2026-10-31").await,
        truth_kinds(
            &simulator,
            Forge::GitLab,
            &login,
            "2025-11-01",
            "2026-10-31"
        )
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_failing_forge_is_a_failure_and_a_later_try_completes_the_cache() {
    let broken = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let config = with_faults(SimConfig::default(), Forge::GitLab, broken);
    let (simulator, _db, syncer) = setup(config).await;
    let login = people(&simulator.world, Forge::GitLab, 1).remove(0);
    let who = account(Forge::GitLab, &login);
    let (from, to) = ("2026-01-01", "2026-03-31");
    let (id, outcome) = syncer.ensure(&who, day(from), day(to)).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Failed(message) if message.contains("500") || message.contains("50")),
        "{outcome:?}"
    );
    let missing = syncer
        .store()
        .days_to_fetch(id, day(from), day(to), 3, chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        missing,
        vec![(day(from), day(to))],
        "failed days stay missing, not zero"
    );

    // The forge recovers; asking again fills exactly the truth.
    set_faults(&simulator, Forge::GitLab, serde_json::json!({})).await;
    let (_, outcome) = syncer.ensure(&who, day(from), day(to)).await.unwrap();
    assert_eq!(outcome, Outcome::Ready { fetched: 1 });
    assert_eq!(
        stored_kinds(&syncer, id, from, to).await,
        truth_kinds(&simulator, Forge::GitLab, &login, from, to)
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_forge_failing_mid_way_keeps_the_pieces_stored_before_it() {
    // Slow answers, so the fault lands between pieces rather than after all.
    let slow = Faults {
        latency_ms: 40,
        ..Faults::default()
    };
    let config = with_faults(SimConfig::default(), Forge::Gerrit, slow);
    let (simulator, _db, syncer) = setup(config).await;
    let syncer = Arc::new(syncer);
    let login = people(&simulator.world, Forge::Gerrit, 1).remove(0);
    let who = account(Forge::Gerrit, &login);
    let (from, to) = ("2025-07-01", "2026-06-30");
    let fetch = {
        let (syncer, who) = (syncer.clone(), who.clone());
        tokio::spawn(async move { syncer.ensure(&who, day(from), day(to)).await.unwrap() })
    };
    // Once the newest piece is stored, the forge breaks.
    let id = loop {
        let known = syncer
            .store()
            .known_identities(std::slice::from_ref(&who))
            .await
            .unwrap();
        if let Some(id) = known.first().map(|k| k.id) {
            let missing = syncer
                .store()
                .days_to_fetch(id, day(from), day(to), 0, chrono::Duration::hours(1))
                .await
                .unwrap();
            if missing.last().is_some_and(|(_, end)| *end < day(to)) {
                break id;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    set_faults(
        &simulator,
        Forge::Gerrit,
        serde_json::json!({"error_rate": 1.0}),
    )
    .await;
    let (_, outcome) = fetch.await.unwrap();
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");

    // What is stored is whole and true; what is missing is missing.
    let missing = syncer
        .store()
        .days_to_fetch(id, day(from), day(to), 0, chrono::Duration::hours(1))
        .await
        .unwrap();
    let (first_missing, last_missing) = (missing[0].0, missing.last().unwrap().1);
    assert_eq!(first_missing, day(from));
    assert!(last_missing < day(to), "{missing:?}");
    let stored_from = (last_missing + chrono::Duration::days(1)).to_string();
    assert_eq!(
        stored_kinds(&syncer, id, &stored_from, to).await,
        truth_kinds(&simulator, Forge::Gerrit, &login, &stored_from, to)
    );

    set_faults(&simulator, Forge::Gerrit, serde_json::json!({})).await;
    let (_, outcome) = syncer.ensure(&who, day(from), day(to)).await.unwrap();
    assert!(matches!(outcome, Outcome::Ready { .. }), "{outcome:?}");
    assert_eq!(
        stored_kinds(&syncer, id, from, to).await,
        truth_kinds(&simulator, Forge::Gerrit, &login, from, to)
    );
    simulator.stop().await;
}

#[tokio::test]
async fn unknown_people_are_not_found_and_queries_keep_their_hash() {
    let (simulator, db, syncer) = setup(SimConfig::default()).await;
    let (_, outcome) = syncer
        .ensure(
            &account(Forge::GitHub, "nobody-by-this-name"),
            day("2026-01-01"),
            day("2026-01-31"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::NotFound);
    let spec = QuerySpec {
        people: vec![PersonSpec {
            name: Some("Octo".into()),
            accounts: vec![AccountSpec::parse("github:Octocat").unwrap()],
        }],
        from: day("2026-01-01"),
        to: day("2026-01-31"),
        kinds: vec![ContributionKind::Commit],
        statuses: vec![],
        include_repos: vec![],
        exclude_repos: vec![],
    };
    let hash = db.store.save_query(&spec).await.unwrap();
    assert_eq!(hash, spec.hash());
    assert_eq!(
        db.store.save_query(&spec).await.unwrap(),
        hash,
        "saving twice keeps one hash"
    );
    let loaded = db.store.load_query(&hash).await.unwrap().unwrap();
    assert_eq!(loaded, spec.normalized());
    assert!(
        db.store
            .load_query(&QueryHash::parse("AAAAAAAAAAA").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    simulator.stop().await;
}
