//! Repository reports against the simulator's truth: the busiest repository
//! of each forge is synced by the tracker, and its report (people's issue
//! tallies, bug and performance share, time to close, first response, open
//! issues by age and label) equals one computed from the world's own sets
//! with the same measures, exactly.
#![allow(
    clippy::unwrap_used,
    reason = "a test stops loudly on what it did not expect"
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, Utc};
use engine::accounts::Accounts;
use engine::forge::directory::Directory;
use engine::forge::{RepoInfo, instance_of};
use engine::reports::{ReportRequest, Reports};
use engine::secrets::Cipher;
use engine::store::testing::TestDb;
use engine::tracker::sync::{RepoSyncer, SyncSettings};
use model::forge::Forge;
use model::report::{AgeBucket, Durations, Report, ReportPatterns, Share};
use sim::server::{SimConfig, Simulator};
use sim::truth::report::{ReportTruth, shown_author};
use sim::world::World;

/// What a report says, computed from the truth's sets with the model's measures.
fn expected(
    world: &World,
    forge: Forge,
    truth: &ReportTruth,
) -> (BTreeMap<String, (u64, u64)>, Vec<String>) {
    let opened = truth.opened.len() as u64;
    let mut ages: BTreeMap<AgeBucket, u64> = AgeBucket::ALL.iter().map(|b| (*b, 0)).collect();
    for seconds in truth.open_ages.values() {
        *ages.get_mut(&AgeBucket::of_seconds(*seconds)).unwrap() += 1;
    }
    // Deleted accounts may share one name on the forge (`ghost`).
    let mut people: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (id, p) in truth
        .people
        .iter()
        .filter(|(_, p)| p.issues_opened + p.issue_comments > 0)
    {
        let tally = people.entry(shown_author(world, *id)).or_default();
        tally.0 += p.issues_opened;
        tally.1 += p.issue_comments;
    }
    let lines = vec![
        format!("opened {opened}"),
        format!("bugs {:?}", Share::new(truth.bugs.len() as u64, opened)),
        format!(
            "performance {:?}",
            Share::new(truth.performance.len() as u64, opened)
        ),
        // Bitbucket does not say when an issue was closed.
        format!(
            "close {:?}",
            (forge != Forge::Bitbucket)
                .then(|| Durations::of(truth.close_seconds.values().copied().collect()))
        ),
        format!(
            "first response {:?}",
            Durations::of(truth.first_response_seconds.values().copied().collect())
        ),
        format!("unanswered {}", truth.unanswered.len()),
        format!("ages {:?}", ages.into_iter().collect::<Vec<_>>()),
        format!("labels {:?}", truth.open_labels),
    ];
    (people, lines)
}

fn found(report: &Report) -> (BTreeMap<String, (u64, u64)>, Vec<String>) {
    let people = report
        .people
        .iter()
        .map(|p| (p.account.clone(), (p.issues_opened, p.issue_comments)))
        .collect();
    let m = &report.issues;
    let labels: BTreeMap<String, u64> = m
        .open_by_label
        .iter()
        .map(|l| (l.label.clone(), l.issues))
        .collect();
    let lines = vec![
        format!("opened {}", m.opened),
        format!("bugs {:?}", m.bug_share),
        format!("performance {:?}", m.performance_share),
        format!("close {:?}", m.time_to_close),
        format!("first response {:?}", m.first_response),
        format!("unanswered {}", m.unanswered),
        format!(
            "ages {:?}",
            m.open_by_age
                .iter()
                .map(|a| (a.age, a.issues))
                .collect::<Vec<_>>()
        ),
        format!("labels {labels:?}"),
    ];
    (people, lines)
}

#[tokio::test]
async fn each_forges_report_equals_the_one_computed_from_the_truth() {
    let db = TestDb::new().await;
    let simulator = Simulator::start(common::world(2), SimConfig::default())
        .await
        .unwrap();
    let directory = Arc::new(Directory::new(common::endpoints(&simulator)));
    let accounts = Arc::new(Accounts::new(db.store.clone(), Cipher::new([7; 32]), None));
    let syncer = RepoSyncer::new(
        db.store.clone(),
        directory,
        accounts,
        SyncSettings::default(),
    );
    let reports = Reports::new(db.store.clone());
    let world = &simulator.world;
    // The world's last year, and its second-to-last half year.
    let ranges = [
        (
            NaiveDate::from_ymd_opt(2025, 11, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        ),
        (
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 8, 31).unwrap(),
        ),
    ];
    let at = Utc::now();
    for forge in Forge::ALL {
        let repo = world.repos_by_issues(forge)[0];
        let path = world.full_name(repo);
        let instance = instance_of(simulator.url(forge).unwrap());
        let info = RepoInfo {
            path: path.clone(),
            url: String::new(),
            private: false,
            description: None,
        };
        let id = db
            .store
            .track_repository(forge, &instance, &info)
            .await
            .unwrap();
        syncer.sync(id).await.unwrap();
        for (from, to) in ranges {
            let request = ReportRequest {
                repositories: vec![id],
                from,
                to,
                patterns: ReportPatterns::default(),
                at,
            };
            let report = reports.report(&request).await.unwrap();
            let truth = sim::truth::report::report(world, repo.id, from, to, at);
            let (people, lines) = found(&report);
            let (want_people, want_lines) = expected(world, forge, &truth);
            assert_eq!(lines, want_lines, "{forge:?} {path} {from}..{to}");
            assert_eq!(people, want_people, "{forge:?} {path} {from}..{to}");
            if forge == Forge::Gerrit {
                assert_eq!(report.issues.opened, 0, "Gerrit keeps no issues");
            } else {
                assert!(
                    report.issues.opened > 0,
                    "{forge:?}: the range holds issues"
                );
            }
        }
    }
    simulator.stop().await;
}

#[tokio::test]
async fn a_report_refuses_bad_patterns_and_a_reversed_range_naming_the_field() {
    let db = TestDb::new().await;
    let reports = Reports::new(db.store.clone());
    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
    let mut request = ReportRequest {
        repositories: Vec::new(),
        from: day(10),
        to: day(1),
        patterns: ReportPatterns::default(),
        at: Utc::now() - Duration::days(1),
    };
    let reversed = reports.report(&request).await.unwrap_err().to_string();
    assert!(reversed.starts_with("from:"), "{reversed}");
    request.from = day(1);
    request.patterns.bug = vec!["[".into()];
    let bad = reports.report(&request).await.unwrap_err().to_string();
    assert!(
        bad.starts_with("bug: `[` is not a regular expression"),
        "{bad}"
    );
    // No repositories: nothing opened, and no share rather than 0%.
    request.patterns = ReportPatterns::default();
    let empty = reports.report(&request).await.unwrap();
    assert_eq!(empty.issues.opened, 0);
    assert_eq!(empty.issues.bug_share.percent(), None);
}
