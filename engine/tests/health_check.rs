//! Organisation health checks against the simulated GitHub, GitLab and
//! Bitbucket: every number equals the simulator's truth exactly, for
//! organisations of 0, 1, 100 and 1,000 repositories, with and without a
//! token, and under injected failures (the same numbers, or an error);
//! the requests each way costs; and checks the rate limits cannot cover,
//! refused before any repository is read.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use engine::forge::Endpoint;
use engine::forge::directory::Directory;
use engine::health_check::{HealthChecker, HealthSettings};
use engine::store::testing::TestDb;
use model::forge::Forge;
use model::health_check::{LanguageDetail, Organisation};
use sim::server::{SimConfig, Simulator};
use sim::truth::organisation::OrganisationTruth;
use sim::world::{World, WorldConfig, generate};

const FORGES: [Forge; 3] = [Forge::GitHub, Forge::GitLab, Forge::Bitbucket];
const SIZES: [(&str, usize); 4] = [
    ("empty", 0),
    ("one", 1),
    ("hundred", 100),
    ("thousand", 1000),
];

fn login(forge: Forge, size: &str) -> String {
    format!("{}-{size}", forge.key())
}

/// The usual small world, and on each forge one organisation of each size.
fn world() -> Arc<World> {
    let mut world = generate(WorldConfig {
        seed: 404,
        people: 60,
        repos: 30,
        years: 1,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    });
    for forge in FORGES {
        for (size, repositories) in SIZES {
            world.add_organisation(forge, &login(forge, size), repositories);
        }
    }
    world.add_organisation(Forge::GitHub, "github-sixty", 60);
    Arc::new(world)
}

fn endpoints(simulator: &Simulator, token: bool) -> Vec<Endpoint> {
    FORGES
        .into_iter()
        .map(|forge| {
            common::endpoint(
                simulator,
                forge,
                token.then(|| sim::server::demo_token(forge).to_owned()),
            )
        })
        .collect()
}

/// Budgets that a thousand repositories fit in (Bitbucket's real one, 1,000
/// an hour, would make the check wait for the next hour), faults as given.
fn roomy(faults: Option<sim::server::faults::Faults>) -> SimConfig {
    let plenty = |window| sim::server::budget::Limit {
        units: 100_000,
        window: std::time::Duration::from_secs(window),
    };
    let mut config = SimConfig::default();
    config.github.core = plenty(3600);
    config.github.unauthenticated_core = plenty(3600);
    config.gitlab.authenticated = plenty(60);
    config.gitlab.unauthenticated = plenty(60);
    config.bitbucket.authenticated = plenty(3600);
    config.bitbucket.anonymous = plenty(3600);
    if let Some(faults) = faults {
        config.faults = FORGES.iter().map(|f| (*f, faults.clone())).collect();
    }
    config
}

fn checker(db: &TestDb, simulator: &Simulator, token: bool) -> HealthChecker {
    let directory = Directory::with_limits(endpoints(simulator, token), common::impatient);
    HealthChecker::new(
        db.store.clone(),
        Arc::new(directory),
        HealthSettings::default(),
    )
}

/// The address of `login`'s page on the simulated `forge`.
fn address(simulator: &Simulator, forge: Forge, login: &str) -> String {
    let endpoint = common::endpoint(simulator, forge, None);
    format!("{}/{login}", engine::tracker::locate::web_root(&endpoint))
}

fn assert_matches(found: &Organisation, truth: &OrganisationTruth, bytes: bool) {
    let n = &found.numbers;
    let who = &found.address;
    assert_eq!(truth.differences(n), Vec::<String>::new(), "{who}");
    assert_eq!(
        n.language_bytes.is_some(),
        bytes && truth.language_bytes.is_some(),
        "{who}: bytes"
    );
    for (field, missing) in [
        ("stars", n.stars.is_none()),
        ("watchers", n.watchers.is_none()),
        ("followers", n.followers.is_none()),
        ("topics", n.topics.is_none()),
    ] {
        assert_eq!(
            n.unavailable.contains_key(field),
            missing,
            "{who}: a null {field} and only a null one says why"
        );
    }
    assert!(!found.truncated, "{who}: within the limit");
}

async fn check_every_size(token: bool) {
    let simulator = Simulator::start(world(), roomy(None)).await.unwrap();
    let db = TestDb::new().await;
    let checker = checker(&db, &simulator, token);
    for forge in FORGES {
        let addresses: Vec<String> = SIZES
            .iter()
            .map(|(size, _)| address(&simulator, forge, &login(forge, size)))
            .collect();
        let bytes = forge == Forge::GitHub;
        let detail = if bytes {
            LanguageDetail::Bytes
        } else {
            LanguageDetail::Primary
        };
        let answer = checker.check(&addresses, detail).await.unwrap();
        assert!(answer.missing.is_empty(), "{:?}", answer.missing);
        assert_eq!(answer.data.organisations.len(), SIZES.len());
        let mut total = model::health_check::Numbers::default();
        for ((size, _), found) in SIZES.iter().zip(&answer.data.organisations) {
            let truth = simulator
                .organisation_truth(forge, &login(forge, size))
                .unwrap();
            assert_matches(found, &truth, bytes);
            total.add(&found.numbers, &found.login);
        }
        assert_eq!(
            answer.data.total.repositories.total,
            SIZES.iter().map(|(_, n)| *n as u64).sum::<u64>()
        );
        assert_eq!(answer.data.total.stars, total.stars);
        assert_eq!(answer.data.total.languages, total.languages);
    }
    simulator.stop().await;
}

#[tokio::test]
async fn every_number_equals_the_truth_on_each_forge_with_a_token() {
    check_every_size(true).await;
}

#[tokio::test]
async fn every_number_equals_the_truth_on_each_forge_without_a_token() {
    check_every_size(false).await;
}

#[tokio::test]
async fn a_missing_organisation_is_listed_and_the_rest_still_answer() {
    let simulator = Simulator::start(world(), roomy(None)).await.unwrap();
    let db = TestDb::new().await;
    let checker = checker(&db, &simulator, true);
    let present = address(&simulator, Forge::GitHub, "github-one");
    let missing = address(&simulator, Forge::GitLab, "no-such-group");
    let answer = checker
        .check(
            &[
                present.clone(),
                missing.clone(),
                "bitbucket:nobody-here".into(),
            ],
            LanguageDetail::Primary,
        )
        .await
        .unwrap();
    assert_eq!(
        answer.missing,
        vec![missing, "bitbucket:nobody-here".to_owned()]
    );
    assert_eq!(answer.data.organisations.len(), 1);
    assert_eq!(answer.data.organisations[0].login, "github-one");
    assert_eq!(answer.data.total.repositories.total, 1);
    simulator.stop().await;
}

#[tokio::test]
async fn a_repeat_within_the_time_to_live_asks_the_forge_nothing() {
    let simulator = Simulator::start(world(), roomy(None)).await.unwrap();
    let db = TestDb::new().await;
    let checker = checker(&db, &simulator, true);
    let addresses: Vec<String> = FORGES
        .iter()
        .map(|forge| address(&simulator, *forge, &login(*forge, "hundred")))
        .chain(["github:not-there".to_owned()])
        .collect();
    let first = checker
        .check(&addresses, LanguageDetail::Primary)
        .await
        .unwrap();
    let asked: Vec<u64> = FORGES.iter().map(|f| simulator.requests(*f)).collect();
    assert!(asked.iter().all(|n| *n > 0));
    let again = checker
        .check(&addresses, LanguageDetail::Primary)
        .await
        .unwrap();
    let after: Vec<u64> = FORGES.iter().map(|f| simulator.requests(*f)).collect();
    assert_eq!(after, asked, "nothing asked again, misses included");
    assert_eq!(again, first);
    simulator.stop().await;
}

#[tokio::test]
async fn under_failures_and_rate_limit_storms_the_numbers_are_exact_or_the_check_fails() {
    // The usual failures, with less jitter: a check reads hundreds of lists.
    let faults = sim::server::faults::Faults {
        error_rate: 0.1,
        rate_limit_storm_rate: 0.05,
        retry_after_secs: 1,
        jitter_ms: 20,
        truncate_rate: 0.05,
        ..Default::default()
    };
    let config = roomy(Some(faults));
    let simulator = Simulator::start(world(), config).await.unwrap();
    let (mut exact, mut failed) = (0, 0);
    for _ in 0..2 {
        // A fresh database each round, so nothing kept hides the forge.
        let db = TestDb::new().await;
        let checker = checker(&db, &simulator, true);
        for forge in FORGES {
            let name = login(forge, "hundred");
            match checker
                .check(
                    &[address(&simulator, forge, &name)],
                    LanguageDetail::Primary,
                )
                .await
            {
                Ok(answer) => {
                    let truth = simulator.organisation_truth(forge, &name).unwrap();
                    assert_matches(&answer.data.organisations[0], &truth, false);
                    exact += 1;
                }
                Err(error) => {
                    let message = error.to_string();
                    assert!(
                        message.contains(forge.name()) && message.contains(&name),
                        "the error names the forge and the organisation: {message}"
                    );
                    failed += 1;
                }
            }
        }
    }
    assert!(
        exact > 0,
        "retries carry most checks through ({failed} failed)"
    );
    simulator.stop().await;
}

/// The requests one check of `login` on `forge` makes, on a fresh database.
async fn requests_for(
    simulator: &Simulator,
    token: bool,
    forge: Forge,
    login: &str,
    detail: LanguageDetail,
) -> u64 {
    let db = TestDb::new().await;
    let checker = checker(&db, simulator, token);
    let before = simulator.requests(forge);
    let answer = checker
        .check(&[address(simulator, forge, login)], detail)
        .await
        .unwrap();
    let truth = simulator.organisation_truth(forge, login).unwrap();
    assert_matches(
        &answer.data.organisations[0],
        &truth,
        detail == LanguageDetail::Bytes,
    );
    simulator.requests(forge) - before
}

#[tokio::test]
async fn with_a_token_github_answers_a_page_of_repositories_per_request() {
    let simulator = Simulator::start(world(), roomy(None)).await.unwrap();
    // The owner from REST, then GraphQL pages of 100 with every figure.
    for detail in [LanguageDetail::Primary, LanguageDetail::Bytes] {
        assert_eq!(
            requests_for(&simulator, true, Forge::GitHub, "github-thousand", detail).await,
            1 + 10,
            "{detail:?}"
        );
    }
    assert_eq!(
        requests_for(
            &simulator,
            true,
            Forge::GitHub,
            "github-empty",
            LanguageDetail::Bytes
        )
        .await,
        1 + 1
    );
    // Without one: the owner, 10 list pages, then each repository's watchers
    // (and with bytes its languages).
    assert_eq!(
        requests_for(
            &simulator,
            false,
            Forge::GitHub,
            "github-thousand",
            LanguageDetail::Primary
        )
        .await,
        1 + 10 + 1000
    );
    assert_eq!(
        requests_for(
            &simulator,
            false,
            Forge::GitHub,
            "github-hundred",
            LanguageDetail::Bytes
        )
        .await,
        1 + 1 + 200
    );
    simulator.stop().await;
}

/// GitHub's anonymous budget cut to `units` an hour; the rest as usual.
fn anonymous_github_budget(units: u32) -> SimConfig {
    let mut config = SimConfig::default();
    config.github.unauthenticated_core = sim::server::budget::Limit {
        units,
        window: std::time::Duration::from_secs(3600),
    };
    config
}

fn over_budget(error: &engine::Error) -> (u64, u64, u64, bool) {
    match error.root() {
        engine::Error::OverBudget {
            needed,
            usable,
            window,
            until,
            ..
        } => (*needed, *usable, *window, until.is_some()),
        other => panic!("not refused for its budget: {other}"),
    }
}

#[tokio::test]
async fn a_check_the_budget_cannot_cover_now_is_refused_having_read_only_the_owner() {
    let simulator = Simulator::start(world(), anonymous_github_budget(150))
        .await
        .unwrap();
    let db = TestDb::new().await;
    let checker = checker(&db, &simulator, false);
    let hundred = address(&simulator, Forge::GitHub, "github-hundred");
    let sixty = address(&simulator, Forge::GitHub, "github-sixty");
    checker
        .check(std::slice::from_ref(&hundred), LanguageDetail::Primary)
        .await
        .unwrap();
    // 150 - 102 spent - 1 for the owner leaves 47; sixty repositories need 61.
    let before = simulator.requests(Forge::GitHub);
    let error = checker
        .check(std::slice::from_ref(&sixty), LanguageDetail::Primary)
        .await
        .unwrap_err();
    assert_eq!(over_budget(&error), (61, 47, 150, true), "{error}");
    assert!(error.to_string().contains("github-sixty"), "{error}");
    assert_eq!(
        simulator.requests(Forge::GitHub) - before,
        1,
        "the owner only"
    );
    // Nothing was kept: asked again, the owner is read again.
    let before = simulator.requests(Forge::GitHub);
    assert!(
        checker
            .check(&[sixty], LanguageDetail::Primary)
            .await
            .is_err()
    );
    assert_eq!(simulator.requests(Forge::GitHub) - before, 1);
    simulator.stop().await;
}

#[tokio::test]
async fn organisations_that_fit_one_by_one_but_not_together_are_refused_together() {
    let simulator = Simulator::start(world(), anonymous_github_budget(150))
        .await
        .unwrap();
    let db = TestDb::new().await;
    let checker = checker(&db, &simulator, false);
    let addresses =
        ["github-hundred", "github-sixty"].map(|login| address(&simulator, Forge::GitHub, login));
    let error = checker
        .check(&addresses, LanguageDetail::Primary)
        .await
        .unwrap_err();
    // 101 + 61 of the 148 left after the two owners.
    assert_eq!(over_budget(&error), (162, 148, 150, true), "{error}");
    assert_eq!(simulator.requests(Forge::GitHub), 2, "the two owners only");
    simulator.stop().await;
}

#[tokio::test]
async fn an_organisation_larger_than_a_whole_window_is_refused_for_good() {
    // Bitbucket's real budget: 1,000 an hour, the size only in its headers.
    let simulator = Simulator::start(world(), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let checker = checker(&db, &simulator, true);
    let thousand = address(&simulator, Forge::Bitbucket, "bitbucket-thousand");
    let error = checker
        .check(&[thousand], LanguageDetail::Primary)
        .await
        .unwrap_err();
    // 9 more pages, then watchers and forks of each of 1,000 repositories.
    assert_eq!(over_budget(&error), (2009, 1000, 1000, false), "{error}");
    assert_eq!(
        simulator.requests(Forge::Bitbucket),
        2,
        "workspace and first page"
    );
    simulator.stop().await;
}
