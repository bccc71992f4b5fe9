//! The issue tracker end to end on real Postgres against the simulator:
//! subscriptions on several forges sync to exactly the world's items and
//! comments, incrementally as the world moves, after a sync cut short,
//! through durable jobs shared by two workers; private repositories show
//! only while the subscriber's token reads them; people see only their own;
//! tokens are sealed in the database.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use engine::accounts::{Accounts, Tokens};
use engine::forge::directory::Directory;
use engine::forge::instance_of;
use engine::jobs::{JobSettings, SyncQueue};
use engine::secrets::Cipher;
use engine::store::accounts::UserId;
use engine::store::testing::TestDb;
use engine::store::tracker::RepoId;
use engine::tracker::Tracker;
use engine::tracker::sync::{RepoSyncer, SyncSettings};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{Facet, IssueFilter, IssueRow, SyncState};
use serde_json::json;
use sim::server::{SimConfig, Simulator};
use sim::truth::IssueTruth;
use sim::world::{Owner, World};

struct Harness {
    db: TestDb,
    simulator: Simulator,
    accounts: Arc<Accounts>,
    syncer: Arc<RepoSyncer>,
    tracker: Tracker,
}

impl Harness {
    async fn new(config: SimConfig) -> Self {
        Self::with_endpoints(config, common::endpoints).await
    }

    /// With the installation's endpoints (and tokens) as `endpoints` says.
    async fn with_endpoints(
        config: SimConfig,
        endpoints: impl FnOnce(&Simulator) -> Vec<engine::forge::Endpoint>,
    ) -> Self {
        let db = TestDb::new().await;
        let simulator = Simulator::start(common::world(1), config).await.unwrap();
        let directory = Arc::new(Directory::new(endpoints(&simulator)));
        let accounts = Arc::new(Accounts::new(db.store.clone(), Cipher::new([7; 32]), None));
        let syncer = Arc::new(RepoSyncer::new(
            db.store.clone(),
            directory.clone(),
            accounts.clone(),
            SyncSettings::default(),
        ));
        let queue = SyncQueue::new(db.store.clone(), syncer.clone())
            .await
            .unwrap();
        let tracker = Tracker::new(db.store.clone(), directory, accounts.clone(), queue);
        Self {
            db,
            simulator,
            accounts,
            syncer,
            tracker,
        }
    }

    fn world(&self) -> &World {
        &self.simulator.world
    }

    fn instance(&self, forge: Forge) -> String {
        instance_of(self.simulator.url(forge).unwrap())
    }

    /// Signs `username` in (linking to `user` when given), as OAuth would.
    async fn sign_in(&self, user: Option<UserId>, forge: Forge, username: &str) -> UserId {
        let token = common::oauth_token(&self.simulator, forge, username);
        let client = common::client_with(&self.simulator, forge, Some(token.clone()));
        let who = client.viewer().await.unwrap();
        assert_eq!(who.username, username);
        let tokens = Tokens {
            access: token,
            refresh: None,
            expires_at: None,
        };
        self.accounts
            .sign_in(user, forge, &self.instance(forge), &who, &tokens)
            .await
            .unwrap()
    }

    /// Signs a new user in as a member of `forge:path`.
    async fn member_signs_in(&self, forge: Forge, path: &str) -> UserId {
        self.sign_in(None, forge, &member_of(self.world(), forge, path))
            .await
    }

    /// Subscribes `user` to `forge:path`.
    async fn subscribe(&self, user: UserId, forge: Forge, path: &str) -> RepoId {
        self.tracker
            .subscribe_address(user, &format!("{}:{path}", forge.key()))
            .await
            .unwrap()
    }

    fn truth(&self, forge: Forge, path: &str) -> Vec<IssueTruth> {
        self.simulator.issue_truth(forge, path).unwrap()
    }

    /// What is stored of a repository equals the world's items: each item
    /// once, with its state, author, time and exactly its comments.
    async fn assert_matches_truth(&self, repo: RepoId, forge: Forge, path: &str) {
        let stored = self.db.store.items_of(repo).await.unwrap();
        let truth = self.truth(forge, path);
        assert!(!truth.is_empty(), "{path} has items");
        let seen: Vec<(u64, bool, Option<String>, u64, String)> = stored
            .iter()
            .map(|i| {
                (
                    i.number,
                    i.status == Status::Open,
                    i.author.clone(),
                    i.comments,
                    i.updated_at.to_rfc3339(),
                )
            })
            .collect();
        let expected: Vec<(u64, bool, Option<String>, u64, String)> = truth
            .iter()
            .map(|t| {
                (
                    t.number,
                    t.open,
                    Some(t.author.clone()),
                    t.comments,
                    t.updated_at.to_rfc3339(),
                )
            })
            .collect();
        assert_eq!(seen, expected, "{forge:?} {path}");
        for item in stored.iter().filter(|i| i.comments > 0).take(20) {
            let rows = self.db.store.comments_of(repo, item.number).await.unwrap();
            assert_eq!(
                rows.len() as u64,
                item.comments,
                "#{} is traceable",
                item.number
            );
        }
        if matches!(forge, Forge::GitHub | Forge::GitLab) {
            let labels: BTreeMap<u64, Vec<String>> = stored
                .iter()
                .map(|i| (i.number, sorted(&i.labels)))
                .collect();
            let wanted: BTreeMap<u64, Vec<String>> = truth
                .iter()
                .map(|t| (t.number, sorted(&t.labels)))
                .collect();
            assert_eq!(labels, wanted);
        }
    }
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut items = items.to_vec();
    items.sort();
    items
}

/// The `n` live repositories of `forge` with the most issues, by name.
fn busiest(world: &World, forge: Forge, n: usize) -> Vec<String> {
    let repos = world.repos_by_issues(forge);
    repos.iter().take(n).map(|r| world.full_name(r)).collect()
}

/// A member of the repository (its owner, or a member of its organisation).
fn member_of(world: &World, forge: Forge, path: &str) -> String {
    let repo = world.find_repo(forge, path).unwrap();
    let id = match repo.owner {
        Owner::Account(id) => id,
        Owner::Org(org) => world.orgs[org as usize].members[0],
    };
    world.account(id).username.clone()
}

fn outsider_of(world: &World, forge: Forge, path: &str) -> String {
    let repo = world.find_repo(forge, path).unwrap();
    world
        .accounts
        .iter()
        .find(|a| a.forge == forge && !a.deleted && !world.is_member(a.id, repo))
        .unwrap()
        .username
        .clone()
}

/// Every page of a person's list, following the cursors.
async fn whole_list(tracker: &Tracker, user: UserId, filter: &IssueFilter) -> Vec<IssueRow> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = tracker.list(user, filter, after.as_deref()).await.unwrap();
        rows.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return rows,
        }
    }
}

#[tokio::test]
async fn subscriptions_on_two_forges_sync_to_exactly_the_world_and_list_as_one() {
    let h = Harness::new(SimConfig::default()).await;
    let github = busiest(h.world(), Forge::GitHub, 2);
    let gitlab = busiest(h.world(), Forge::GitLab, 1);
    let user = h.member_signs_in(Forge::GitHub, &github[0]).await;
    let gitlab_person = member_of(h.world(), Forge::GitLab, &gitlab[0]);
    assert_eq!(
        h.sign_in(Some(user), Forge::GitLab, &gitlab_person).await,
        user
    );

    // One from the person's own list, two by their addresses.
    let readable = h.tracker.readable(user, &github[0], 1).await.unwrap();
    let mine = readable
        .items
        .iter()
        .find(|r| r.repository == github[0])
        .unwrap();
    let first = h
        .tracker
        .subscribe_readable(user, mine.account_id, &github[0])
        .await
        .unwrap();
    let second = h
        .tracker
        .subscribe_address(
            user,
            &format!(
                "{}/{}/issues",
                h.simulator.url(Forge::GitHub).unwrap(),
                github[1]
            ),
        )
        .await
        .unwrap();
    let third = h.subscribe(user, Forge::GitLab, &gitlab[0]).await;
    let repos = [
        (first, Forge::GitHub, github[0].clone()),
        (second, Forge::GitHub, github[1].clone()),
        (third, Forge::GitLab, gitlab[0].clone()),
    ];
    for (id, _, _) in &repos {
        let report = h.syncer.sync(*id).await.unwrap();
        assert!(report.full && report.listed > 0);
    }
    let mut total = 0;
    for (id, forge, path) in &repos {
        h.assert_matches_truth(*id, *forge, path).await;
        total += h.truth(*forge, path).len();
    }

    // One list, newest activity first, each item once across its pages.
    let list = whole_list(&h.tracker, user, &IssueFilter::default()).await;
    assert_eq!(list.len(), total);
    assert!(list.windows(2).all(|w| w[0].updated_at >= w[1].updated_at));
    let mut keys: Vec<(RepoId, u64)> = list.iter().map(|r| (r.repo_id, r.number)).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), total);

    // Counts: the total, and each facet's values as the list they lead to.
    let counts = h
        .tracker
        .counts(user, &IssueFilter::default())
        .await
        .unwrap();
    assert_eq!(usize::try_from(counts.total).unwrap(), total);
    let states: u64 = counts.facet(Facet::State).iter().map(|c| c.count).sum();
    assert_eq!(usize::try_from(states).unwrap(), total);
    let forges: Vec<(String, u64)> = counts
        .facet(Facet::Forge)
        .iter()
        .map(|c| (c.value.clone(), c.count))
        .collect();
    assert_eq!(forges.len(), 2, "{forges:?}");
    let label = counts.facet(Facet::Label).first().unwrap().clone();
    let by_label = IssueFilter {
        label: Some(label.value.clone()),
        ..IssueFilter::default()
    };
    let labelled = whole_list(&h.tracker, user, &by_label).await;
    assert_eq!(labelled.len() as u64, label.count);
    assert!(labelled.iter().all(|r| r.labels.contains(&label.value)));
    // With a label chosen, the state facet counts within it, the label
    // facet still offers the others.
    let narrowed = h.tracker.counts(user, &by_label).await.unwrap();
    assert_eq!(narrowed.total, label.count);
    assert_eq!(
        narrowed
            .facet(Facet::State)
            .iter()
            .map(|c| c.count)
            .sum::<u64>(),
        label.count
    );
    assert_eq!(narrowed.facet(Facet::Label), counts.facet(Facet::Label));

    // Text matches words of titles (prefixes too), whatever else is chosen.
    let word = list[0]
        .title
        .split_whitespace()
        .next()
        .unwrap()
        .to_lowercase();
    let prefix = &word[..word.len().min(4)];
    let found = whole_list(
        &h.tracker,
        user,
        &IssueFilter {
            q: Some(prefix.to_owned()),
            ..IssueFilter::default()
        },
    )
    .await;
    assert!(!found.is_empty());
    assert!(found.len() < total || list.iter().all(|r| r.title.to_lowercase().contains(prefix)));

    // The subscription manager tells items and state.
    let subscriptions = h.tracker.subscriptions(user).await.unwrap();
    assert_eq!(subscriptions.len(), 3);
    for s in &subscriptions {
        let truth = h.truth(s.forge, &s.repository);
        assert_eq!(usize::try_from(s.items).unwrap(), truth.len());
        assert_eq!(s.comments, truth.iter().map(|t| t.comments).sum::<u64>());
        assert_eq!(s.state, SyncState::Synced);
        assert!(s.readable && s.problem.is_none());
    }
}

#[tokio::test]
async fn incremental_syncs_follow_a_moving_world_and_read_only_what_changed() {
    let h = Harness::new(SimConfig::default()).await;
    for forge in [Forge::GitHub, Forge::Bitbucket] {
        let path = busiest(h.world(), forge, 1).remove(0);
        let repo = h.world().find_repo(forge, &path).unwrap();
        let issues: Vec<_> = h.world().issues_in(repo.id).collect();
        let user = h.member_signs_in(forge, &path).await;
        let id = h.subscribe(user, forge, &path).await;
        let start = issues[issues.len() / 2].created_at;
        h.simulator.set_clock(forge, Some(start));
        let first = h.syncer.sync(id).await.unwrap();
        assert!(first.full);
        h.assert_matches_truth(id, forge, &path).await;
        let mut total_reads = first.comment_lists;
        for days in [20, 60, 200] {
            h.simulator
                .set_clock(forge, Some(start + chrono::Duration::days(days)));
            let report = h.syncer.sync(id).await.unwrap();
            assert!(!report.full, "{forge:?}: incremental");
            assert!(
                report.listed < h.truth(forge, &path).len(),
                "{forge:?}: {report:?}"
            );
            total_reads += report.comment_lists;
            h.assert_matches_truth(id, forge, &path).await;
        }
        h.simulator.set_clock(forge, None);
        let last = h.syncer.sync(id).await.unwrap();
        total_reads += last.comment_lists;
        h.assert_matches_truth(id, forge, &path).await;
        // Comments are read again only for items that changed.
        assert!(
            total_reads < issues.len() * 2,
            "{forge:?}: {total_reads} comment reads"
        );
    }
}

#[tokio::test]
async fn a_sync_cut_short_ends_with_exactly_the_world_when_run_again() {
    let config = common::with_faults(
        SimConfig::default(),
        Forge::GitHub,
        sim::server::faults::Faults {
            latency_ms: 15,
            ..Default::default()
        },
    );
    let h = Harness::new(config).await;
    let path = busiest(h.world(), Forge::GitHub, 1).remove(0);
    let user = h.member_signs_in(Forge::GitHub, &path).await;
    let id = h.subscribe(user, Forge::GitHub, &path).await;
    let expected = i64::try_from(h.truth(Forge::GitHub, &path).len()).unwrap();
    let syncer = h.syncer.clone();
    let running = tokio::spawn(async move { syncer.sync(id).await });
    // Cut it short once some batches are stored, as a killed process would.
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tracked_issues WHERE repository_id = $1")
            .bind(id)
            .fetch_one(h.db.store.pool())
            .await
            .unwrap()
    };
    let mut stored = 0;
    for _ in 0..2000 {
        stored = count().await;
        if stored > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.abort();
    assert!(
        stored > 0 && stored < expected,
        "cut at {stored} of {expected}"
    );
    let repo = h.db.store.tracked_repository(id).await.unwrap().unwrap();
    assert!(
        repo.watermark.is_none(),
        "the watermark moves only when all is stored"
    );

    h.syncer.sync(id).await.unwrap();
    h.assert_matches_truth(id, Forge::GitHub, &path).await;
    let comments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM issue_comments WHERE repository_id = $1")
            .bind(id)
            .fetch_one(h.db.store.pool())
            .await
            .unwrap();
    let truth_comments: u64 = h
        .truth(Forge::GitHub, &path)
        .iter()
        .map(|t| t.comments)
        .sum();
    assert_eq!(
        u64::try_from(comments).unwrap(),
        truth_comments,
        "no comment lost or doubled"
    );
}

#[tokio::test]
async fn private_repositories_show_only_while_the_subscribers_token_reads_them() {
    let world = common::world(1);
    let path = busiest(&world, Forge::GitHub, 1).remove(0);
    let config = SimConfig {
        private_repositories: vec![(Forge::GitHub, path.clone())],
        ..SimConfig::default()
    };
    let h = Harness::new(config).await;
    let member = member_of(h.world(), Forge::GitHub, &path);
    let outsider = outsider_of(h.world(), Forge::GitHub, &path);
    let user = h.sign_in(None, Forge::GitHub, &member).await;
    let other = h.sign_in(None, Forge::GitHub, &outsider).await;

    // The outsider cannot subscribe, even though the installation's token reads it.
    let refused = h
        .tracker
        .subscribe_address(other, &format!("github:{path}"))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("private"), "{refused}");

    let id = h.subscribe(user, Forge::GitHub, &path).await;
    h.syncer.sync(id).await.unwrap();
    h.assert_matches_truth(id, Forge::GitHub, &path).await;
    let total = h.truth(Forge::GitHub, &path).len();
    assert_eq!(
        whole_list(&h.tracker, user, &IssueFilter::default())
            .await
            .len(),
        total
    );
    let subscription = &h.tracker.subscriptions(user).await.unwrap()[0];
    assert!(subscription.private && subscription.readable);

    // The member revokes Tally's access on the forge: the next sync stops,
    // says so, and the items are hidden from them (not deleted).
    reqwest::Client::new()
        .post(format!(
            "{}/_sim/oauth/revoke",
            h.simulator.url(Forge::GitHub).unwrap()
        ))
        .json(&json!({ "username": member }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let stopped = h.syncer.sync(id).await.unwrap_err();
    assert!(stopped.to_string().contains("no subscriber"), "{stopped}");
    let subscription = &h.tracker.subscriptions(user).await.unwrap()[0];
    assert!(!subscription.readable);
    assert!(
        subscription
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("refused"),
        "{subscription:?}"
    );
    assert!(
        whole_list(&h.tracker, user, &IssueFilter::default())
            .await
            .is_empty()
    );
    assert_eq!(
        h.tracker
            .counts(user, &IssueFilter::default())
            .await
            .unwrap()
            .total,
        0
    );
    let accounts = h.accounts.linked(user).await.unwrap().unwrap();
    assert!(accounts[0].problem.is_some());
    assert_eq!(h.db.store.items_of(id).await.unwrap().len(), total);

    // Signing in again gives them back, but only once a sync has proved
    // the new token reads the repository: until then they stay hidden.
    h.sign_in(Some(user), Forge::GitHub, &member).await;
    let subscription = &h.tracker.subscriptions(user).await.unwrap()[0];
    assert!(!subscription.readable, "{subscription:?}");
    assert!(
        whole_list(&h.tracker, user, &IssueFilter::default())
            .await
            .is_empty()
    );
    h.syncer.sync(id).await.unwrap();
    assert!(h.tracker.subscriptions(user).await.unwrap()[0].readable);
    assert_eq!(
        whole_list(&h.tracker, user, &IssueFilter::default())
            .await
            .len(),
        total
    );
}

#[tokio::test]
async fn people_see_only_their_own_subscriptions_and_items() {
    let h = Harness::new(SimConfig::default()).await;
    let repos = busiest(h.world(), Forge::GitHub, 2);
    let alice = h.member_signs_in(Forge::GitHub, &repos[0]).await;
    let bob = h
        .sign_in(
            None,
            Forge::GitHub,
            &outsider_of(h.world(), Forge::GitHub, &repos[0]),
        )
        .await;
    assert_ne!(alice, bob);
    let hers = h.subscribe(alice, Forge::GitHub, &repos[0]).await;
    let his = h.subscribe(bob, Forge::GitHub, &repos[1]).await;
    h.syncer.sync(hers).await.unwrap();
    h.syncer.sync(his).await.unwrap();
    let her_list = whole_list(&h.tracker, alice, &IssueFilter::default()).await;
    assert!(!her_list.is_empty() && her_list.iter().all(|r| r.repo_id == hers));
    let his_list = whole_list(&h.tracker, bob, &IssueFilter::default()).await;
    assert!(!his_list.is_empty() && his_list.iter().all(|r| r.repo_id == his));
    // Asking for the other's repository by id shows nothing.
    let peek = IssueFilter {
        repo: Some(hers),
        ..IssueFilter::default()
    };
    assert!(whole_list(&h.tracker, bob, &peek).await.is_empty());
    let subscriptions = h.tracker.subscriptions(bob).await.unwrap();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].repo_id, his);
    for refused in [
        h.tracker.unsubscribe(bob, hers).await.unwrap_err(),
        h.tracker.sync_now(bob, hers).await.unwrap_err(),
    ] {
        assert!(matches!(refused, engine::Error::Denied(_)), "{refused}");
    }
    let her_account = h.accounts.linked(alice).await.unwrap().unwrap()[0].id;
    assert!(
        h.tracker
            .subscribe_readable(bob, her_account, &repos[0])
            .await
            .is_err()
    );
    assert!(h.accounts.unlink(bob, her_account).await.is_err());
    assert_eq!(h.tracker.subscriptions(alice).await.unwrap().len(), 1);
}

#[tokio::test]
async fn tokens_are_sealed_in_the_database() {
    let h = Harness::new(SimConfig::default()).await;
    let person = member_of(
        h.world(),
        Forge::GitHub,
        &busiest(h.world(), Forge::GitHub, 1)[0],
    );
    let token = common::oauth_token(&h.simulator, Forge::GitHub, &person);
    let client = common::client_with(&h.simulator, Forge::GitHub, Some(token.clone()));
    let who = client.viewer().await.unwrap();
    let user = h
        .accounts
        .sign_in(
            None,
            Forge::GitHub,
            &h.instance(Forge::GitHub),
            &who,
            &Tokens {
                access: token.clone(),
                refresh: Some("sim_refresh_secret".into()),
                expires_at: None,
            },
        )
        .await
        .unwrap();
    let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT access_token, refresh_token FROM linked_accounts")
            .fetch_all(h.db.store.pool())
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    let (access, refresh) = &rows[0];
    let refresh = refresh.as_ref().unwrap();
    for (sealed, plain) in [(access, token.as_str()), (refresh, "sim_refresh_secret")] {
        assert!(
            !sealed.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "no token in clear"
        );
        assert!(sealed.len() > plain.len());
    }
    let account = h.db.store.accounts_of(user).await.unwrap().remove(0);
    assert_eq!(h.accounts.token(&account).await.unwrap(), token);
    // Another installation's key cannot open it.
    let stranger = Accounts::new(h.db.store.clone(), Cipher::new([8; 32]), None);
    assert!(stranger.token(&account).await.is_err());
}

#[tokio::test]
async fn durable_jobs_sync_each_repository_once_with_two_workers() {
    let h = Harness::new(SimConfig::default()).await;
    let repos = busiest(h.world(), Forge::GitHub, 3);
    let user = h.member_signs_in(Forge::GitHub, &repos[0]).await;
    let mut ids = Vec::new();
    for path in &repos {
        ids.push(h.subscribe(user, Forge::GitHub, path).await);
    }
    // Asking again while one is queued adds nothing.
    for id in &ids {
        h.tracker.sync_now(user, *id).await.unwrap();
        assert!(h.tracker.queue().is_queued(*id).await.unwrap());
    }
    // All three are due, and all three already queued: planning asks for none.
    let planned = h.tracker.queue().plan(chrono::Duration::zero()).await;
    assert_eq!(planned.unwrap(), 0);
    // Two workers on one database, as two `tally` processes would run them.
    let settings = JobSettings {
        workers: 2,
        plan_every: Duration::from_millis(200),
        ..JobSettings::default()
    };
    let first = engine::jobs::start(h.tracker.queue().clone(), None, settings);
    let other_queue = SyncQueue::new(h.db.store.clone(), h.syncer.clone())
        .await
        .unwrap();
    let second = engine::jobs::start(other_queue, None, settings);
    for _ in 0..600 {
        let subscriptions = h.tracker.subscriptions(user).await.unwrap();
        if subscriptions.iter().all(|s| s.state == SyncState::Synced) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.stop();
    second.stop();
    for (id, path) in ids.iter().zip(&repos) {
        h.assert_matches_truth(*id, Forge::GitHub, path).await;
    }
    let runs: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.concurrency_key, count(a.*) FROM underway.task t
         JOIN underway.task_attempt a ON a.task_id = t.id AND a.task_queue_name = t.task_queue_name
         GROUP BY t.concurrency_key",
    )
    .fetch_all(h.db.store.pool())
    .await
    .unwrap();
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert!(
        runs.iter().all(|(_, n)| *n == 1),
        "each sync ran once: {runs:?}"
    );
    let stats: serde_json::Value = reqwest::get(format!(
        "{}/_sim/stats",
        h.simulator.url(Forge::GitHub).unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    // Each sync looks its repository up once (subscribing did once more).
    assert_eq!(stats["by_route"]["GET /repos/{owner}/{repo}"], 6, "{stats}");
}

#[tokio::test]
async fn seeded_trackers_are_whole_and_countable() {
    let h = Harness::new(SimConfig::default()).await;
    let person = member_of(
        h.world(),
        Forge::GitHub,
        &busiest(h.world(), Forge::GitHub, 1)[0],
    );
    let user = h.sign_in(None, Forge::GitHub, &person).await;
    let plan = engine::seed::TrackerPlan {
        issues: 1000,
        repositories: 7,
    };
    let items = engine::seed::seed_tracker(&h.db.store, Forge::GitHub, &person, &plan)
        .await
        .unwrap();
    assert_eq!(items, 1000);
    let counts = h
        .tracker
        .counts(user, &IssueFilter::default())
        .await
        .unwrap();
    assert_eq!(counts.total, 1000);
    assert_eq!(counts.facet(Facet::Repo).len(), 7);
    let list = whole_list(&h.tracker, user, &IssueFilter::default()).await;
    assert_eq!(list.len(), 1000);
    let comments: i64 = sqlx::query_scalar("SELECT count(*) FROM issue_comments")
        .fetch_one(h.db.store.pool())
        .await
        .unwrap();
    assert_eq!(
        u64::try_from(comments).unwrap(),
        list.iter().map(|r| r.comments).sum::<u64>()
    );
    let refused = engine::seed::seed_tracker(&h.db.store, Forge::GitLab, "nobody", &plan)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("sign in first"), "{refused}");
}

#[tokio::test]
async fn every_forge_subscribes_by_address_and_syncs_to_the_world() {
    let h = Harness::new(SimConfig::default()).await;
    let github = busiest(h.world(), Forge::GitHub, 1);
    let user = h.member_signs_in(Forge::GitHub, &github[0]).await;
    for forge in [Forge::Bitbucket, Forge::Gerrit, Forge::Phabricator] {
        let repo = h
            .world()
            .repos
            .iter()
            .filter(|r| r.forge == forge && !r.deleted)
            .max_by_key(|r| h.world().issues_in(r.id).count() + h.world().changes_in(r.id).count())
            .unwrap();
        let path = h.world().full_name(repo);
        let id = h.subscribe(user, forge, &path).await;
        let report = h.syncer.sync(id).await.unwrap();
        assert!(report.listed > 0, "{forge:?}");
        h.assert_matches_truth(id, forge, &path).await;
    }
    let counts = h
        .tracker
        .counts(user, &IssueFilter::default())
        .await
        .unwrap();
    assert_eq!(counts.facet(Facet::Forge).len(), 3);
}

#[tokio::test]
async fn without_a_token_of_its_own_the_installation_reads_with_a_subscribers() {
    let h = Harness::with_endpoints(SimConfig::default(), |simulator| {
        let mut endpoints = common::endpoints(simulator);
        for endpoint in &mut endpoints {
            if endpoint.forge == Forge::GitHub {
                endpoint.token = None;
            }
        }
        endpoints
    })
    .await;
    let path = busiest(h.world(), Forge::GitHub, 1).remove(0);
    let user = h.member_signs_in(Forge::GitHub, &path).await;
    let id = h.subscribe(user, Forge::GitHub, &path).await;
    h.syncer.sync(id).await.unwrap();
    h.assert_matches_truth(id, Forge::GitHub, &path).await;
    // The anonymous budget (60 an hour) was not touched.
    let anonymous: serde_json::Value = reqwest::get(format!(
        "{}/rate_limit",
        h.simulator.url(Forge::GitHub).unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(anonymous["resources"]["core"]["used"], 0, "{anonymous}");
}

/// How the forge's OAuth server answers a renewal.
#[derive(Clone, Copy)]
enum Renewal {
    Renewed(&'static str),
    Refused,
    Unreachable,
}

impl engine::accounts::Renew for Renewal {
    fn renew<'a>(
        &'a self,
        _forge: Forge,
        _instance: &'a str,
        refresh: &'a str,
    ) -> engine::accounts::Renewal<'a> {
        Box::pin(async move {
            assert_eq!(refresh, "sim_refresh_old");
            match *self {
                Renewal::Renewed(access) => Ok(Tokens {
                    access: access.to_owned(),
                    refresh: Some("sim_refresh_new".into()),
                    expires_at: Some(chrono::Utc::now() + chrono::Duration::hours(2)),
                }),
                Renewal::Refused => Err(engine::Error::Refused {
                    url: "token".into(),
                    message: "the refresh token is invalid".into(),
                }),
                Renewal::Unreachable => Err(engine::Error::Unreachable {
                    url: "token".into(),
                    problem: "connection refused".into(),
                }),
            }
        })
    }
}

#[tokio::test]
async fn expiring_tokens_are_renewed_before_use_and_only_a_refused_renewal_breaks_the_account() {
    let h = Harness::new(SimConfig::default()).await;
    let who = engine::forge::ForgeUser {
        id: "77".into(),
        username: "renewer".into(),
        display_name: None,
    };
    let expiring = Tokens {
        access: "sim_access_old".into(),
        refresh: Some("sim_refresh_old".into()),
        expires_at: Some(chrono::Utc::now() + chrono::Duration::minutes(1)),
    };
    for renewal in [
        Renewal::Renewed("sim_access_new"),
        Renewal::Refused,
        Renewal::Unreachable,
    ] {
        let accounts = Accounts::new(
            h.db.store.clone(),
            Cipher::new([7; 32]),
            Some(Arc::new(renewal)),
        );
        let user = accounts
            .sign_in(None, Forge::GitLab, "gitlab.example", &who, &expiring)
            .await
            .unwrap();
        let account = h.db.store.accounts_of(user).await.unwrap().remove(0);
        let token = accounts.token(&account).await;
        let account = h.db.store.accounts_of(user).await.unwrap().remove(0);
        match renewal {
            Renewal::Renewed(access) => {
                assert_eq!(token.unwrap(), access);
                assert!(
                    account.linked.expires_at.unwrap()
                        > chrono::Utc::now() + chrono::Duration::hours(1)
                );
                assert_eq!(accounts.token(&account).await.unwrap(), access);
            }
            Renewal::Refused => {
                assert!(matches!(token, Err(engine::Error::Refused { .. })));
                assert!(account.problem.unwrap().contains("could not be renewed"));
            }
            // Not the forge's no: the account stays usable, to try again.
            Renewal::Unreachable => {
                assert!(matches!(token, Err(engine::Error::Unreachable { .. })));
                assert_eq!(account.problem, None);
            }
        }
    }
}

#[tokio::test]
async fn a_sync_keeps_to_its_share_of_the_budget_and_goes_on_after_the_reset() {
    // The installation's 100 requests in a window of 3 seconds, of which
    // the sync may spend a quarter: a first sync of the busiest repository
    // (issues, comments, pull requests, a request per pull request's
    // reviews, commits) takes several windows.
    let mut config = SimConfig::default();
    config.github.core = sim::server::budget::Limit {
        units: 100,
        window: Duration::from_secs(3),
    };
    let h = Harness::new(config).await;
    let path = busiest(h.world(), Forge::GitHub, 1).remove(0);
    let user = h.member_signs_in(Forge::GitHub, &path).await;
    let id = h.subscribe(user, Forge::GitHub, &path).await;
    let background =
        Directory::with_limits(common::endpoints(&h.simulator), || common::deferring(0.25));
    let syncer = Arc::new(RepoSyncer::new(
        h.db.store.clone(),
        Arc::new(background),
        h.accounts.clone(),
        SyncSettings::default(),
    ));
    let queue = SyncQueue::new(h.db.store.clone(), syncer.clone())
        .await
        .unwrap();
    // Nothing queued but what the planner queues.
    sqlx::query("DELETE FROM underway.task")
        .execute(h.db.store.pool())
        .await
        .unwrap();
    let mut deferrals = 0;
    loop {
        match syncer.sync(id).await {
            Ok(_) => break,
            Err(engine::Error::Deferred { until }) => {
                deferrals += 1;
                let repo = h.db.store.tracked_repository(id).await.unwrap().unwrap();
                assert!(
                    repo.last_error.as_deref().unwrap().contains("rate limit"),
                    "{repo:?}"
                );
                // Not due again before the reset, due at it (well before
                // the 15 minutes between syncs).
                let every = chrono::Duration::minutes(15);
                if until > chrono::Utc::now() + chrono::Duration::milliseconds(500) {
                    assert_eq!(queue.plan(every).await.unwrap(), 0);
                }
                let wait = (until - chrono::Utc::now()).to_std().unwrap_or_default();
                assert!(wait <= Duration::from_secs(4), "{wait:?}");
                tokio::time::sleep(wait + Duration::from_millis(50)).await;
                assert_eq!(queue.plan(every).await.unwrap(), 1);
                sqlx::query("DELETE FROM underway.task")
                    .execute(h.db.store.pool())
                    .await
                    .unwrap();
            }
            Err(other) => panic!("{other}"),
        }
        assert!(deferrals < 200, "the sync makes progress");
    }
    assert!(deferrals >= 2, "a first sync does not fit 25 requests");
    h.assert_matches_truth(id, Forge::GitHub, &path).await;
    let repo = h.db.store.tracked_repository(id).await.unwrap().unwrap();
    assert_eq!(repo.last_error, None);
    // Each window, the sync left three quarters of the budget to others.
    let windows = h.simulator.budget_usage(
        Forge::GitHub,
        Some(sim::server::demo_token(Forge::GitHub)),
        "core",
    );
    assert!(windows.len() > 2, "{windows:?}");
    assert!(windows.iter().all(|used| *used <= 25), "{windows:?}");
}

#[tokio::test]
async fn a_sync_cut_off_shows_as_failed_not_syncing_for_ever() {
    let h = Harness::new(SimConfig::default()).await;
    let path = busiest(h.world(), Forge::GitHub, 1).remove(0);
    let user = h.member_signs_in(Forge::GitHub, &path).await;
    let id = h.subscribe(user, Forge::GitHub, &path).await;
    let queue = SyncQueue::new(h.db.store.clone(), h.syncer.clone())
        .await
        .unwrap();
    let state = || async { h.tracker.subscriptions(user).await.unwrap()[0].state };
    // A sync started five minutes ago whose job is gone (its time limit
    // ended it, or its process died for good).
    sqlx::query("DELETE FROM underway.task")
        .execute(h.db.store.pool())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE tracked_repositories SET sync_started_at = now() - interval '5 minutes' WHERE id = $1",
    )
    .bind(id)
    .execute(h.db.store.pool())
    .await
    .unwrap();
    assert_eq!(state().await, SyncState::Syncing);
    // While its job waits or runs, it is syncing.
    queue.enqueue(id, false).await.unwrap();
    assert_eq!(queue.cut_off().await.unwrap(), 0);
    assert_eq!(state().await, SyncState::Syncing);
    sqlx::query("DELETE FROM underway.task")
        .execute(h.db.store.pool())
        .await
        .unwrap();
    // The planner marks it failed, says why, and queues it again.
    assert_eq!(queue.plan(chrono::Duration::minutes(15)).await.unwrap(), 1);
    let subscription = &h.tracker.subscriptions(user).await.unwrap()[0];
    assert_eq!(subscription.state, SyncState::Failed);
    assert_eq!(subscription.problem.as_deref(), Some(engine::jobs::CUT_OFF));
    assert!(queue.is_queued(id).await.unwrap());
}
