//! Repository reports against the simulator's truth: the busiest repository
//! of each forge is synced by the tracker, and its report (people's tallies
//! of commits, issues, pull requests, reviews and comments, bug and
//! performance share, time to close, first response, open issues by age and
//! label, contributor concentration, new and returning contributors) equals
//! one computed from the world's own sets with the same measures, exactly.
#![allow(
    clippy::unwrap_used,
    reason = "a test stops loudly on what it did not expect"
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use engine::accounts::Accounts;
use engine::forge::directory::Directory;
use engine::forge::{RepoInfo, instance_of};
use engine::jobs::SyncQueue;
use engine::reports::{ReportAsk, ReportRequest, ReportSettings, Reports};
use engine::secrets::Cipher;
use engine::store::testing::TestDb;
use engine::store::tracker::RepoId;
use engine::tracker::sync::{RepoSyncer, SyncSettings};
use model::forge::Forge;
use model::query::{AccountSpec, PersonSpec};
use model::report::{
    AgeBucket, AgeCount, Concentration, Durations, ItemFilter, Report, ReportItem, ReportPatterns,
    Share, Tallies, TallyKind,
};
use sim::server::{SimConfig, Simulator};
use sim::truth::report::{ReportTruth, shown_author, shown_commit_author};
use sim::world::World;

/// Per account as shown: commits, issues opened, pull requests opened and
/// merged, reviews, issue comments.
type People = BTreeMap<String, [u64; 6]>;

/// Everyone's tallies in the truth, whatever their names.
fn totals(truth: &ReportTruth) -> Tallies {
    let sum = |f: fn(&sim::truth::report::PersonTruth) -> u64| truth.people.values().map(f).sum();
    Tallies {
        commits: sum(|p| p.commits),
        issues_opened: sum(|p| p.issues_opened),
        pulls_opened: sum(|p| p.pulls_opened),
        pulls_merged: sum(|p| p.pulls_merged),
        reviews: sum(|p| p.reviews),
        issue_comments: sum(|p| p.issue_comments),
    }
}

/// What a report says, computed from the truth's sets with the model's measures.
fn expected(world: &World, forge: Forge, truth: &ReportTruth) -> (People, Vec<String>) {
    let opened = truth.opened.len() as u64;
    let mut ages: BTreeMap<AgeBucket, u64> = AgeBucket::ALL.iter().map(|b| (*b, 0)).collect();
    for seconds in truth.open_ages.values() {
        *ages.get_mut(&AgeBucket::of_seconds(*seconds)).unwrap() += 1;
    }
    // Deleted accounts may share one name on the forge (`ghost`).
    let mut people = People::new();
    for (id, p) in &truth.people {
        let tally = people.entry(shown_author(world, *id)).or_default();
        for (slot, n) in [
            (1, p.issues_opened),
            (2, p.pulls_opened),
            (3, p.pulls_merged),
            (4, p.reviews),
            (5, p.issue_comments),
        ] {
            tally[slot] += n;
        }
    }
    for (id, commits) in &truth.commits_by_author {
        people.entry(shown_commit_author(world, *id)).or_default()[0] += commits;
    }
    people.retain(|_, t| t.iter().any(|n| *n > 0));
    let concentration = Concentration::of(people.values().map(|t| t[0]));
    let months: std::collections::BTreeSet<_> = truth
        .new_contributors
        .keys()
        .chain(truth.returning_contributors.keys())
        .collect();
    let contributors: Vec<String> = months
        .into_iter()
        .map(|m| {
            let size = |sets: &BTreeMap<(i32, u32), std::collections::BTreeSet<String>>| {
                sets.get(m).map_or(0, std::collections::BTreeSet::len)
            };
            format!(
                "{:04}-{:02} new {} returning {}",
                m.0,
                m.1,
                size(&truth.new_contributors),
                size(&truth.returning_contributors)
            )
        })
        .collect();
    let unavailable: Vec<&str> = match forge {
        Forge::Gerrit | Forge::Phabricator => vec!["commits"],
        _ => vec![],
    };
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
        format!("concentration {concentration:?}"),
        format!("contributors {contributors:?}"),
        format!("unavailable {unavailable:?}"),
    ];
    (people, lines)
}

fn found(report: &Report) -> (People, Vec<String>) {
    let people = report
        .accounts()
        .map(|p| {
            (
                p.account.clone(),
                [
                    p.counts.commits,
                    p.counts.issues_opened,
                    p.counts.pulls_opened,
                    p.counts.pulls_merged,
                    p.counts.reviews,
                    p.counts.issue_comments,
                ],
            )
        })
        .collect();
    let m = &report.issues;
    let labels: BTreeMap<String, u64> = m
        .open_by_label
        .iter()
        .map(|l| (l.label.clone(), l.issues))
        .collect();
    let contributors: Vec<String> = report
        .contributors
        .iter()
        .map(|c| format!("{} new {} returning {}", c.month, c.new, c.returning))
        .collect();
    let unavailable: Vec<&str> = report.unavailable.keys().map(String::as_str).collect();
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
        format!("concentration {:?}", report.concentration),
        format!("contributors {contributors:?}"),
        format!("unavailable {unavailable:?}"),
    ];
    (people, lines)
}

/// A database, the simulator with a world of two years, a syncer and reports.
struct Harness {
    db: TestDb,
    simulator: Simulator,
    syncer: Arc<RepoSyncer>,
    queue: SyncQueue,
    reports: Reports,
}

impl Harness {
    async fn new(config: SimConfig) -> Self {
        let db = TestDb::new().await;
        let simulator = Simulator::start(common::world(2), config).await.unwrap();
        let directory = Arc::new(Directory::new(common::endpoints(&simulator)));
        let accounts = Arc::new(Accounts::new(db.store.clone(), Cipher::new([7; 32]), None));
        let syncer = Arc::new(RepoSyncer::new(
            db.store.clone(),
            directory.clone(),
            accounts,
            SyncSettings::default(),
        ));
        let queue = SyncQueue::new(db.store.clone(), syncer.clone())
            .await
            .unwrap();
        let settings = ReportSettings {
            requests_per_day: 2,
            ..ReportSettings::default()
        };
        let reports = Reports::new(db.store.clone(), directory, Some(queue.clone()), settings);
        Self {
            db,
            simulator,
            syncer,
            queue,
            reports,
        }
    }

    fn world(&self) -> &World {
        &self.simulator.world
    }

    /// Starts keeping the `rank`-th busiest repository of `forge` (by
    /// issues): its id in the world and in the store.
    async fn track(&self, forge: Forge, rank: usize) -> (sim::world::Id, RepoId) {
        let repo = self.world().repos_by_issues(forge)[rank];
        let info = RepoInfo {
            path: self.world().full_name(repo),
            url: String::new(),
            private: false,
            description: None,
        };
        let instance = instance_of(self.simulator.url(forge).unwrap());
        let id = self
            .db
            .store
            .track_repository(forge, &instance, &info)
            .await
            .unwrap();
        (repo.id, id)
    }

    /// The report of `id` over `[from, to]` at `at` equals the truth's, and
    /// returns it.
    async fn assert_report(
        &self,
        forge: Forge,
        (world_id, id): (sim::world::Id, RepoId),
        (from, to): (NaiveDate, NaiveDate),
        at: DateTime<Utc>,
    ) -> Report {
        let request = ReportRequest {
            repositories: vec![id],
            from,
            to,
            patterns: ReportPatterns::default(),
            people: Vec::new(),
            at,
        };
        let report = self.reports.report(&request).await.unwrap();
        let world = self.world();
        let truth = sim::truth::report::report(world, world_id, from, to, at);
        let (people, lines) = found(&report);
        let (want_people, want_lines) = expected(world, forge, &truth);
        let path = world.full_name(world.repo(world_id));
        assert_eq!(lines, want_lines, "{forge:?} {path} {from}..{to} at {at}");
        assert_eq!(people, want_people, "{forge:?} {path} {from}..{to} at {at}");
        // Each week's and each month's numbers are those of the truth over
        // that part of the range.
        let part = |start: NaiveDate, end: NaiveDate| {
            sim::truth::report::report(world, world_id, start.max(from), end.min(to), at)
        };
        let mut weeks = 0;
        for week in &report.weeks {
            let truth = part(week.week, week.week + Duration::days(6));
            assert_eq!(
                week.counts,
                totals(&truth),
                "{forge:?} week of {}",
                week.week
            );
            weeks += 1;
        }
        assert!(weeks > 0 || from > to, "{forge:?}: weeks");
        for month in &report.monthly {
            let start =
                NaiveDate::parse_from_str(&format!("{}-01", month.month), "%Y-%m-%d").unwrap();
            let end = start
                .checked_add_months(chrono::Months::new(1))
                .unwrap()
                .pred_opt()
                .unwrap();
            let truth = part(start, end);
            let (_, want) = expected(world, forge, &truth);
            let got = vec![
                format!("opened {}", month.opened),
                format!("bugs {:?}", month.bug_share),
                format!("performance {:?}", month.performance_share),
                format!("close {:?}", month.time_to_close),
                format!("first response {:?}", month.first_response),
            ];
            assert_eq!(got, want[..5], "{forge:?} {}", month.month);
        }
        let mut closed: BTreeMap<AgeBucket, u64> = AgeBucket::ALL.iter().map(|b| (*b, 0)).collect();
        for seconds in truth.close_seconds.values() {
            *closed.get_mut(&AgeBucket::of_seconds(*seconds)).unwrap() += 1;
        }
        let closed: Vec<AgeCount> = closed
            .into_iter()
            .map(|(age, issues)| AgeCount { age, issues })
            .collect();
        let want_closed = if forge == Forge::Bitbucket {
            Vec::new()
        } else {
            closed
        };
        assert_eq!(
            report.issues.closed_after, want_closed,
            "{forge:?} closed after"
        );
        report
    }
}

/// Every count of `report` (each person's of each kind, each week's of
/// each kind) lists exactly as many items as it says, each distinct, of that
/// kind, by that person's accounts and in that range, read in pages forward and back.
async fn assert_items(reports: &Reports, address: &str, report: &Report) {
    let ask = ReportAsk {
        repositories: vec![address.to_owned()],
        from: report.from,
        to: report.to,
        patterns: None,
        people: Vec::new(),
    };
    let start = report.from.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let end = (report.to + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let mut checked = 0;
    for kind in TallyKind::ALL {
        let mut filters: Vec<(ItemFilter, u64, DateTime<Utc>, DateTime<Utc>)> = report
            .people
            .iter()
            .map(|p| (p.items(kind), p.counts.get(kind), start, end))
            .collect();
        for week in &report.weeks {
            let monday = week.week.and_hms_opt(0, 0, 0).unwrap().and_utc();
            let filter = ItemFilter {
                kind,
                accounts: Vec::new(),
                week: Some(week.week),
            };
            filters.push((
                filter,
                week.counts.get(kind),
                monday,
                monday + Duration::days(7),
            ));
        }
        for (filter, count, from, until) in filters {
            let items = all_items(reports, &ask, &filter).await;
            assert_eq!(items.len() as u64, count, "{address} {filter:?}");
            let distinct: std::collections::BTreeSet<_> =
                items.iter().map(|i| (i.url.clone(), i.at)).collect();
            assert_eq!(distinct.len(), items.len(), "{address} {filter:?}: doubled");
            for item in &items {
                assert_eq!(item.kind, kind);
                assert!(
                    item.at >= from.max(start) && item.at < until.min(end),
                    "{item:?}"
                );
                if !filter.accounts.is_empty() {
                    assert!(
                        filter.accounts.iter().any(|a| a.account == item.account),
                        "{item:?}"
                    );
                }
            }
            checked += count;
        }
    }
    assert!(checked > 0, "{address}: some items");
}

/// Every item `filter` picks, paging by 7 to the end and back again: both
/// ways give the same list, newest first.
async fn all_items(reports: &Reports, ask: &ReportAsk, filter: &ItemFilter) -> Vec<ReportItem> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let slice = reports
            .items(ask, None, filter, cursor.as_ref(), 7)
            .await
            .unwrap();
        let next = slice.next.clone();
        pages.push(slice);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let forward: Vec<ReportItem> = pages.iter().flat_map(|p| p.rows.clone()).collect();
    assert!(
        forward.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    // Back from the last page to the first.
    let mut backward: Vec<Vec<ReportItem>> = vec![pages.last().unwrap().rows.clone()];
    let mut cursor = pages.last().unwrap().previous.clone();
    while let Some(previous) = cursor {
        let slice = reports
            .items(ask, None, filter, Some(&previous), 7)
            .await
            .unwrap();
        cursor = slice.previous.clone();
        backward.insert(0, slice.rows);
    }
    let backward: Vec<ReportItem> = backward.into_iter().flatten().collect();
    assert_eq!(forward, backward, "{filter:?}: paging back");
    forward
}

/// Every day of the world, up to the report's instant.
fn whole_world() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    )
}

#[tokio::test]
async fn each_forges_report_equals_the_one_computed_from_the_truth() {
    let h = Harness::new(SimConfig::default()).await;
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
        let ids = h.track(forge, 0).await;
        h.syncer.sync(ids.1).await.unwrap();
        for (n, range) in ranges.into_iter().enumerate() {
            let report = h.assert_report(forge, ids, range, at).await;
            if n == 0 {
                let path = h.world().full_name(h.world().repo(ids.0));
                assert_items(&h.reports, &format!("{}:{path}", forge.key()), &report).await;
            }
            // Not vacuous: the range holds each kind the forge has.
            let sum =
                |kind: TallyKind| -> u64 { report.people.iter().map(|p| p.counts.get(kind)).sum() };
            assert!(sum(TallyKind::PullsOpened) > 0, "{forge:?}: pull requests");
            assert!(sum(TallyKind::PullsMerged) > 0, "{forge:?}: merges");
            assert!(sum(TallyKind::Reviews) > 0, "{forge:?}: reviews");
            let has_commits = !matches!(forge, Forge::Gerrit | Forge::Phabricator);
            assert_eq!(
                sum(TallyKind::Commits) > 0,
                has_commits,
                "{forge:?}: commits"
            );
            assert!(!report.contributors.is_empty(), "{forge:?}: contributors");
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
    h.simulator.stop().await;
}

/// Two accounts the address joins into one person make one row (their
/// counts summed, their items listed together), one contributor and one
/// share of the commits; nothing else changes.
#[tokio::test]
async fn accounts_joined_into_a_person_count_once_as_that_person() {
    let h = Harness::new(SimConfig::default()).await;
    let forge = Forge::GitHub;
    let ids = h.track(forge, 0).await;
    h.syncer.sync(ids.1).await.unwrap();
    let range = (
        NaiveDate::from_ymd_opt(2025, 11, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
    );
    let at = Utc::now();
    let apart = h.assert_report(forge, ids, range, at).await;
    // The two with the most commits: together, the top author.
    let mut authors: Vec<_> = apart.accounts().collect();
    authors.sort_by_key(|x| std::cmp::Reverse(x.counts.commits));
    let (a, b) = (authors[0], authors[1]);
    let pair = PersonSpec {
        name: Some("Pair".into()),
        accounts: [a, b]
            .iter()
            .map(|x| AccountSpec {
                forge,
                instance: None,
                username: x.account.clone(),
            })
            .collect(),
    };
    let request = ReportRequest {
        repositories: vec![ids.1],
        from: range.0,
        to: range.1,
        patterns: ReportPatterns::default(),
        people: vec![pair],
        at,
    };
    let joined = h.reports.report(&request).await.unwrap();
    assert_eq!(joined.people.len(), apart.people.len() - 1);
    let person = joined
        .people
        .iter()
        .find(|p| p.name.as_deref() == Some("Pair"))
        .unwrap();
    assert_eq!(person.accounts.len(), 2);
    for kind in TallyKind::ALL {
        assert_eq!(
            person.counts.get(kind),
            a.counts.get(kind) + b.counts.get(kind),
            "{kind:?}"
        );
    }
    let accounts = |r: &Report| {
        let mut all: Vec<_> = r.accounts().map(|x| format!("{x:?}")).collect();
        all.sort();
        all
    };
    assert_eq!(accounts(&joined), accounts(&apart));
    assert_eq!(joined.weeks, apart.weeks);
    assert_eq!(joined.issues, apart.issues);
    let commits = joined.people.iter().map(|p| p.counts.commits);
    assert_eq!(joined.concentration, Concentration::of(commits));
    assert_ne!(joined.concentration, apart.concentration, "not vacuous");
    // New and returning per month from the truth's sets, the two as one.
    let world = h.world();
    let truth = sim::truth::report::report(world, ids.0, range.0, range.1, at);
    let first = |name: &str| {
        truth
            .new_contributors
            .iter()
            .find(|(_, names)| names.contains(name))
            .map(|(month, _)| *month)
    };
    // None: their first act came before the range; the pair's is the earlier one's.
    let pair_first = first(&a.account)
        .zip(first(&b.account))
        .map(|(x, y)| x.min(y));
    let months: std::collections::BTreeSet<_> = truth
        .new_contributors
        .keys()
        .chain(truth.returning_contributors.keys())
        .copied()
        .collect();
    let want: Vec<String> = months
        .into_iter()
        .map(|m| {
            let mut active: std::collections::BTreeSet<String> = truth
                .new_contributors
                .get(&m)
                .into_iter()
                .chain(truth.returning_contributors.get(&m))
                .flatten()
                .filter(|n| **n != a.account && **n != b.account)
                .cloned()
                .collect();
            let new = active.iter().filter(|n| first(n) == Some(m)).count()
                + usize::from(pair_first == Some(m));
            let pair_active = [&a.account, &b.account].iter().any(|n| {
                [&truth.new_contributors, &truth.returning_contributors]
                    .iter()
                    .any(|sets| sets.get(&m).is_some_and(|s| s.contains(n.as_str())))
            });
            if pair_active {
                active.insert("Pair".into());
            }
            format!(
                "{:04}-{:02} new {new} returning {}",
                m.0,
                m.1,
                active.len() - new
            )
        })
        .collect();
    let got: Vec<String> = joined
        .contributors
        .iter()
        .map(|c| format!("{} new {} returning {}", c.month, c.new, c.returning))
        .collect();
    assert_eq!(got, want);
    let path = world.full_name(world.repo(ids.0));
    assert_items(&h.reports, &format!("{}:{path}", forge.key()), &joined).await;
    h.simulator.stop().await;
}

#[tokio::test]
async fn reports_follow_the_world_through_incremental_syncs() {
    let h = Harness::new(SimConfig::default()).await;
    let until = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    for forge in Forge::ALL {
        let ids = h.track(forge, 0).await;
        let mut read = Vec::new();
        for days_before in [400, 150, 20] {
            let at = until - Duration::days(days_before);
            h.simulator.set_clock(forge, Some(at));
            let sync = h.syncer.sync(ids.1).await.unwrap();
            read.push((sync.changes, sync.commits));
            h.assert_report(forge, ids, whole_world(), at).await;
        }
        h.simulator.set_clock(forge, None);
        h.syncer.sync(ids.1).await.unwrap();
        h.assert_report(forge, ids, whole_world(), Utc::now()).await;
        // Later syncs read what changed since, not everything again.
        let stored: i64 =
            sqlx::query_scalar("SELECT count(*) FROM tracked_changes WHERE repository_id = $1")
                .bind(ids.1)
                .fetch_one(h.db.store.pool())
                .await
                .unwrap();
        let (first, later) = (read[0].0, read[2].0);
        assert!(
            later < usize::try_from(stored).unwrap() && first > 0,
            "{forge:?}: changes read {read:?} of {stored}"
        );
    }
    h.simulator.stop().await;
}

#[tokio::test]
async fn a_sync_of_pull_requests_and_commits_cut_short_ends_at_the_truth_when_run_again() {
    let config = common::with_faults(
        SimConfig::default(),
        Forge::GitHub,
        sim::server::faults::Faults {
            latency_ms: 15,
            ..Default::default()
        },
    );
    let h = Harness::new(config).await;
    let ids = h.track(Forge::GitHub, 0).await;
    let count = |table: &'static str| {
        let pool = h.db.store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT count(*) FROM {table} WHERE repository_id = $1"
            ))
            .bind(ids.1)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let syncer = h.syncer.clone();
    let running = tokio::spawn(async move { syncer.sync(ids.1).await });
    // Cut it short once some pull requests are stored, as a killed process would.
    let mut stored = 0;
    for _ in 0..3000 {
        stored = count("tracked_changes").await;
        if stored > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    running.abort();
    let world = h.world();
    let all = i64::try_from(world.changes_in(ids.0).count()).unwrap();
    assert!(stored > 0 && stored < all, "cut at {stored} of {all}");
    let marks = h.db.store.activity_marks(ids.1).await.unwrap();
    assert_eq!(
        (marks.changes, marks.commits),
        (None, None),
        "a watermark moves only when its list is stored"
    );

    h.syncer.sync(ids.1).await.unwrap();
    h.assert_report(Forge::GitHub, ids, whole_world(), Utc::now())
        .await;
    // Nothing lost or doubled: the rows are the world's.
    let reviews: usize = world.changes_in(ids.0).map(|c| c.reviews.len()).sum();
    assert_eq!(count("tracked_changes").await, all);
    assert_eq!(
        count("change_reviews").await,
        i64::try_from(reviews).unwrap()
    );
    assert_eq!(
        count("tracked_commits").await,
        i64::try_from(world.commits_in(ids.0).count()).unwrap()
    );
    h.simulator.stop().await;
}

#[tokio::test]
async fn a_report_refuses_bad_input_naming_the_field_and_shows_no_zeros() {
    let h = Harness::new(SimConfig::default()).await;
    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
    let mut request = ReportRequest {
        repositories: Vec::new(),
        from: day(10),
        to: day(1),
        patterns: ReportPatterns::default(),
        people: Vec::new(),
        at: Utc::now() - Duration::days(1),
    };
    let reversed = h.reports.report(&request).await.unwrap_err().to_string();
    assert!(reversed.starts_with("from:"), "{reversed}");
    request.from = day(1);
    request.patterns.bug = vec!["[".into()];
    let bad = h.reports.report(&request).await.unwrap_err().to_string();
    assert!(
        bad.starts_with("bug: `[` is not a regular expression"),
        "{bad}"
    );
    // No repositories: nothing opened, and no share rather than 0%.
    request.patterns = ReportPatterns::default();
    let empty = h.reports.report(&request).await.unwrap();
    assert_eq!(empty.issues.opened, 0);
    assert_eq!(empty.issues.bug_share.percent(), None);

    // By address, as visitors ask.
    let (world_id, id) = h.track(Forge::GitHub, 0).await;
    let path = h.world().full_name(h.world().repo(world_id));
    let failure = |ask: ReportAsk| {
        let reports = h.reports.clone();
        async move { reports.answer(&ask, None).await.unwrap_err() }
    };
    let asking = |repositories: &[&str], to: NaiveDate| ReportAsk {
        repositories: repositories.iter().map(|r| (*r).to_owned()).collect(),
        from: day(1),
        to,
        patterns: None,
        people: Vec::new(),
    };
    let mine = format!("github:{path}");
    // Kept but never read: no numbers rather than zeros.
    let waiting = failure(asking(&[&mine], day(31))).await;
    assert!(
        matches!(waiting, engine::Error::NotReady { .. }),
        "{waiting}"
    );
    h.syncer.sync(id).await.unwrap();
    let report = h
        .reports
        .answer(&asking(&[&mine], day(31)), None)
        .await
        .unwrap();
    assert_eq!(report.repositories.len(), 1);
    assert_eq!(report.repositories[0].path, path);
    // Issues read but pull requests or commits not yet (a first sync
    // reads them one after another): still no numbers, nor items.
    for list in ["changes_watermark", "commits_watermark"] {
        let set = |to: &'static str| {
            let pool = h.db.store.pool().clone();
            let sql = format!("UPDATE tracked_repositories SET {list} = {to} WHERE id = $1");
            async move { sqlx::query(&sql).bind(id).execute(&pool).await.unwrap() }
        };
        set("NULL").await;
        let waiting = failure(asking(&[&mine], day(31))).await;
        assert!(
            matches!(waiting, engine::Error::NotReady { .. }),
            "{list}: {waiting}"
        );
        let filter = ItemFilter {
            kind: TallyKind::Commits,
            accounts: Vec::new(),
            week: None,
        };
        let items = h
            .reports
            .items(&asking(&[&mine], day(31)), None, &filter, None, 10)
            .await
            .unwrap_err();
        assert!(
            matches!(items, engine::Error::NotReady { .. }),
            "{list}: {items}"
        );
        set("now()").await;
    }
    for (asked, field) in [
        (asking(&[], day(31)), "r:"),
        (asking(&[mine.as_str(); 21], day(31)), "r: 21 repositories"),
        (asking(&["svn:x/y"], day(31)), "r:"),
        (
            asking(&[&mine], NaiveDate::from_ymd_opt(2040, 1, 1).unwrap()),
            "to:",
        ),
    ] {
        let error = failure(asked).await.to_string();
        assert!(error.starts_with(field), "{field} for {error}");
    }
    let unknown = failure(asking(&["github:nobody/nothing"], day(31))).await;
    assert!(
        matches!(&unknown, engine::Error::NotFound { what } if what.contains("nobody/nothing")),
        "{unknown}"
    );
    // A private one is not there for a visitor who cannot read it.
    sqlx::query("UPDATE tracked_repositories SET private = true WHERE id = $1")
        .bind(id)
        .execute(h.db.store.pool())
        .await
        .unwrap();
    let hidden = failure(asking(&[&mine], day(31))).await;
    assert!(matches!(hidden, engine::Error::NotFound { .. }), "{hidden}");
    h.simulator.stop().await;
}

#[tokio::test]
async fn a_signed_in_person_has_a_public_repository_nobody_keeps_read_for_its_report() {
    let h = Harness::new(SimConfig::default()).await;
    let user: model::ids::UserId =
        sqlx::query_scalar("INSERT INTO users DEFAULT VALUES RETURNING id")
            .fetch_one(h.db.store.pool())
            .await
            .unwrap();
    let world = h.world();
    let repos = world.repos_by_issues(Forge::GitHub);
    let address = |rank: usize| format!("github:{}", world.full_name(repos[rank]));
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let ask = |address: String| ReportAsk {
        repositories: vec![address],
        from: day(1, 1),
        to: day(6, 30),
        patterns: None,
        people: Vec::new(),
    };
    // Anonymous: not kept, not there, and nothing is fetched.
    let anonymous = h.reports.answer(&ask(address(0)), None).await.unwrap_err();
    assert!(
        matches!(anonymous, engine::Error::NotFound { .. }),
        "{anonymous}"
    );
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM tracked_repositories")
        .fetch_one(h.db.store.pool())
        .await
        .unwrap();
    assert_eq!(kept, 0);

    // Signed in: kept, its sync queued first, and no numbers until it ends.
    let waiting = h
        .reports
        .answer(&ask(address(0)), Some(user))
        .await
        .unwrap_err();
    assert!(
        matches!(waiting, engine::Error::NotReady { .. }),
        "{waiting}"
    );
    let repo =
        h.db.store
            .find_tracked(
                Forge::GitHub,
                &instance_of(h.simulator.url(Forge::GitHub).unwrap()),
                &world.full_name(repos[0]),
            )
            .await
            .unwrap()
            .unwrap();
    assert!(h.queue.is_queued(repo.id).await.unwrap());
    h.syncer.sync(repo.id).await.unwrap();
    let report = h
        .reports
        .answer(&ask(address(0)), Some(user))
        .await
        .unwrap();
    assert_eq!(report.repositories[0].path, world.full_name(repos[0]));
    // Anyone may read it now, and it outlives an unsubscription elsewhere.
    h.assert_report(
        Forge::GitHub,
        (repos[0].id, repo.id),
        (day(1, 1), day(6, 30)),
        report.at,
    )
    .await;
    h.db.store.unsubscribe(user, repo.id).await.unwrap();
    assert!(h.reports.answer(&ask(address(0)), None).await.is_ok());

    // A private repository is not kept for anyone who asks.
    let private = world.full_name(repos[1]);
    let admin = format!(
        "{}/_sim/private",
        h.simulator
            .url(Forge::GitHub)
            .unwrap()
            .trim_end_matches('/')
    );
    let answer = reqwest::Client::new()
        .put(&admin)
        .json(&serde_json::json!({ "repository": private, "private": true }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let hidden = h
        .reports
        .answer(&ask(address(1)), Some(user))
        .await
        .unwrap_err();
    assert!(matches!(hidden, engine::Error::NotFound { .. }), "{hidden}");

    // Two a day per person (as this installation is set): the third is refused.
    let second = h
        .reports
        .answer(&ask(address(2)), Some(user))
        .await
        .unwrap_err();
    assert!(matches!(second, engine::Error::NotReady { .. }), "{second}");
    let third = h
        .reports
        .answer(&ask(address(3)), Some(user))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        third.starts_with("r: you asked for reports on 2 repositories"),
        "{third}"
    );
    h.simulator.stop().await;
}
