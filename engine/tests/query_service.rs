//! The query service as pages use it: remembered answers retired by writes
//! (in this process and, through notifications, in another), progress while
//! a fetch runs, and failures that wait for a retry.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use common::{account, day, people, set_faults, spec, with_faults, world};
use engine::forge::directory::Directory;
use engine::queries::fill::{Filler, Freshness};
use engine::queries::{Bounds, Queries};
use engine::store::Store;
use engine::store::testing::TestDb;
use model::activity::Activity;
use model::contribution::{Contribution, ContributionKind};
use model::forge::Forge;
use model::period::Period;
use model::query::{
    AccountSpec, AccountState, FetchCost, QueryHash, QuerySpec, Summary, UnfetchedDays,
};
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};

/// One person with one account.
fn spec_of(account: &AccountSpec, from: &str, to: &str) -> QuerySpec {
    spec(vec![(None, vec![account.to_string()])], from, to)
}

async fn service(simulator: &Simulator, store: Store) -> Arc<Queries> {
    bounded_service(simulator, store, Bounds::default())
}

fn bounded_service(simulator: &Simulator, store: Store, bounds: Bounds) -> Arc<Queries> {
    let directory = Arc::new(Directory::with_limits(
        common::endpoints(simulator),
        common::impatient,
    ));
    let syncer = Filler::new(store, directory, Freshness::default());
    Arc::new(Queries::new(Arc::new(syncer), bounds))
}

/// What the simulator's truth says of `login` on `forge` over the days.
fn truth_of(
    simulator: &Simulator,
    forge: Forge,
    login: &str,
    from: &str,
    to: &str,
) -> sim::truth::Truth {
    let id = simulator.world.find_account(forge, login).unwrap().id;
    sim::truth::truth(&simulator.world, id, day(from), day(to))
}

/// Opens the query until its refresh is over; returns every summary seen.
async fn open_until_done(queries: &Arc<Queries>, hash: &QueryHash) -> Vec<Summary> {
    let mut seen = Vec::new();
    // A fill that waits for rate-limit resets takes a few windows.
    let until = std::time::Instant::now() + Duration::from_secs(120);
    while std::time::Instant::now() < until {
        let summary = queries.summary(hash).await.unwrap().unwrap();
        let done = !summary.fetching;
        seen.push(summary);
        if done {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the refresh of {hash} did not end");
}

fn one_item(author: &str, id: &str, on: &str) -> Contribution {
    let mut item = Contribution::new(
        Forge::GitHub,
        "github.com",
        ContributionKind::Commit,
        author,
    );
    item.id = id.to_owned();
    item.repository = "seed/one".into();
    item.title = "one".into();
    item.url = "https://github.com/seed/one".into();
    item.occurred_at = day(on).and_hms_opt(12, 0, 0).unwrap().and_utc();
    item
}

#[tokio::test]
async fn remembered_answers_give_way_to_writes_here_and_in_other_processes() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let queries = service(&simulator, db.store.clone()).await;
    let login = people(&simulator.world, Forge::Gerrit, 1).remove(0);
    let who = account(Forge::Gerrit, &login);
    let (from, to) = ("2026-01-01", "2026-03-31");
    let hash = queries.create(&spec_of(&who, from, to)).await.unwrap();
    let before = open_until_done(&queries, &hash).await.pop().unwrap();
    // Once filled, opening it again fetches nothing.
    assert!(!queries.summary(&hash).await.unwrap().unwrap().fetching);
    let first_page = queries.page(&hash, None, 500).await.unwrap().unwrap();
    assert_eq!(first_page.items.len() as u64, before.total);

    // Another process on the same database adds an item to the cached days.
    let other = Store::connect_url(&db.url).await.unwrap();
    let following = db.store.follow_changes().await.unwrap();
    let id = other.identity(&who).await.unwrap();
    let generation = db.store.generation();
    let mut items: Vec<Contribution> = first_page
        .items
        .iter()
        .map(|i| i.contribution.clone())
        .collect();
    items.push(one_item(&login, "added-elsewhere", "2026-02-02"));
    other
        .replace_days(id, day(from), day(to), &items)
        .await
        .unwrap();
    for _ in 0..500 {
        if db.store.generation() != generation {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = queries.summary(&hash).await.unwrap().unwrap();
    assert_eq!(
        after.total,
        before.total + 1,
        "the other process's write is seen"
    );
    let page = queries.page(&hash, None, 500).await.unwrap().unwrap();
    assert_eq!(page.items.len() as u64, after.total);
    assert!(
        page.items
            .iter()
            .any(|i| i.contribution.id == "added-elsewhere")
    );

    // The listening connection dies (a restart, a proxy's idle cut): the
    // next write elsewhere is still seen.
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(other.pool())
    .await
    .unwrap();
    assert_eq!(cut, vec![true], "one listener was cut");
    tokio::time::sleep(Duration::from_millis(200)).await;
    items.push(one_item(&login, "added-after-the-cut", "2026-02-03"));
    other
        .replace_days(id, day(from), day(to), &items)
        .await
        .unwrap();
    let mut seen = 0;
    for _ in 0..500 {
        seen = queries.summary(&hash).await.unwrap().unwrap().total;
        if seen == before.total + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen, before.total + 2, "a write after the cut is seen");
    following.abort();
    simulator.stop().await;
}

#[tokio::test]
async fn queries_nobody_opened_for_long_are_forgotten_and_come_back_when_created_again() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let queries = service(&simulator, db.store.clone()).await;
    let mut logins = people(&simulator.world, Forge::Gerrit, 2);
    let specs = [
        spec_of(
            &account(Forge::Gerrit, &logins.remove(0)),
            "2026-01-01",
            "2026-01-31",
        ),
        spec_of(
            &account(Forge::Gerrit, &logins.remove(0)),
            "2026-01-01",
            "2026-01-31",
        ),
    ];
    let opened = queries.create(&specs[0]).await.unwrap();
    let unopened = queries.create(&specs[1]).await.unwrap();
    sqlx::query("UPDATE queries SET opened_at = now() - interval '200 days'")
        .execute(db.store.pool())
        .await
        .unwrap();

    // Opening one counts; the other nobody opened for 200 days.
    open_until_done(&queries, &opened).await;
    let forgotten = db
        .store
        .forget_unopened_queries(chrono::Duration::days(180))
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    let fresh = service(&simulator, db.store.clone()).await;
    assert!(fresh.spec(&opened).await.unwrap().is_some());
    assert!(
        fresh.summary(&unopened).await.unwrap().is_none(),
        "its link is not found"
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM queries")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(left, 1);

    // The same query created again has the same address.
    assert_eq!(fresh.create(&specs[1]).await.unwrap(), unopened);
    assert!(fresh.summary(&unopened).await.unwrap().is_some());
    simulator.stop().await;
}

#[tokio::test]
async fn a_query_expected_to_cost_too_much_is_refused_before_anything_is_fetched() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let queries = service(&simulator, db.store.clone()).await;
    let mut logins = people(&simulator.world, Forge::GitHub, 2);
    let (fetched, other) = (
        account(Forge::GitHub, &logins.remove(0)),
        account(Forge::GitHub, &logins.remove(0)),
    );
    // What an estimate says, less the budget the forge last reported.
    let cost = |pieces: u64, requests: Option<u64>| {
        vec![(Forge::GitHub, None::<String>, pieces, requests)]
    };
    let priced = |costs: Vec<FetchCost>| -> Vec<_> {
        costs
            .into_iter()
            .map(|c| (c.forge, c.instance, c.pieces, c.requests))
            .collect()
    };
    // Nothing was fetched from GitHub here yet: a piece has no price.
    let quarter = spec_of(&fetched, "2026-01-01", "2026-03-31").normalized();
    assert_eq!(
        priced(queries.estimate(&quarter).await.unwrap()),
        cost(1, None)
    );
    let hash = queries.create(&quarter).await.unwrap();
    let before = simulator.requests(Forge::GitHub);
    open_until_done(&queries, &hash).await;
    let spent = simulator.requests(Forge::GitHub) - before;
    let prices = db.store.piece_costs().await.unwrap();
    let price = prices[&(Forge::GitHub, String::new())];
    assert_eq!(
        (price.pieces, price.requests),
        (1, spent),
        "the piece's requests, as the forge counted them"
    );

    // Cached days cost nothing; a decade of another account is 40 pieces
    // at that price.
    assert_eq!(
        priced(queries.estimate(&quarter).await.unwrap()),
        cost(0, Some(0))
    );
    let decade = spec_of(&other, "2016-01-01", "2025-12-31").normalized();
    let decade_cost = queries.estimate(&decade).await.unwrap();
    assert_eq!(priced(decade_cost.clone()), cost(40, Some(40 * spent)));
    // The budget the fetch heard of comes with it.
    let budget = decade_cost[0]
        .budget
        .clone()
        .expect("the simulator reports its budgets");
    assert!(budget.remaining < budget.limit);

    // One request under that is refused, naming the field and the figures,
    // having asked the forge nothing and stored nothing.
    let tight = Bounds {
        max_fetch_requests: 40 * spent - 1,
        ..Bounds::default()
    };
    let strict = bounded_service(&simulator, db.store.clone(), tight);
    let asked = simulator.requests(Forge::GitHub);
    let refused = strict.create(&decade).await.unwrap_err();
    let engine::Error::Query(problem) = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(problem.field, "people");
    let expected = format!("about {} requests to GitHub (40 pieces", 40 * spent);
    assert!(problem.message.contains(&expected), "{}", problem.message);
    assert_eq!(simulator.requests(Forge::GitHub), asked);
    assert!(db.store.load_query(&decade.hash()).await.unwrap().is_none());
    // The cached quarter is still welcome, and so is the decade at its price.
    strict.create(&quarter).await.unwrap();
    let enough = Bounds {
        max_fetch_requests: 40 * spent,
        ..Bounds::default()
    };
    bounded_service(&simulator, db.store.clone(), enough)
        .create(&decade)
        .await
        .unwrap();
    simulator.stop().await;
}

#[tokio::test]
async fn a_fetch_shows_its_progress_and_its_numbers_only_grow() {
    let slow = Faults {
        latency_ms: 30,
        ..Faults::default()
    };
    let config = with_faults(SimConfig::default(), Forge::GitLab, slow);
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let db = TestDb::new().await;
    let queries = service(&simulator, db.store.clone()).await;
    let login = people(&simulator.world, Forge::GitLab, 1).remove(0);
    let who = account(Forge::GitLab, &login);
    let hash = queries
        .create(&spec_of(&who, "2025-07-01", "2026-06-30"))
        .await
        .unwrap();
    let seen = open_until_done(&queries, &hash).await;
    let progress: Vec<_> = seen
        .iter()
        .filter_map(|s| s.people[0].accounts[0].progress.clone())
        .collect();
    assert!(!progress.is_empty(), "progress was shown while fetching");
    assert!(progress.windows(2).all(|w| w[0].requests <= w[1].requests));
    assert!(progress.last().unwrap().requests > 0);
    let totals: Vec<u64> = seen.iter().map(|s| s.total).collect();
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "{totals:?}");
    let last = seen.last().unwrap();
    assert_eq!(last.people[0].accounts[0].progress, None);
    assert_eq!(last.people[0].accounts[0].state, AccountState::Ok);
    let truth = truth_of(
        &simulator,
        Forge::GitLab,
        &login,
        "2025-07-01",
        "2026-06-30",
    );
    assert_eq!(last.total, truth.total);
    simulator.stop().await;
}

#[tokio::test]
async fn a_failed_account_waits_for_a_retry_instead_of_refetching_on_every_open() {
    let broken = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let config = with_faults(SimConfig::default(), Forge::Gerrit, broken);
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let db = TestDb::new().await;
    let queries = service(&simulator, db.store.clone()).await;
    let login = people(&simulator.world, Forge::Gerrit, 1).remove(0);
    let who = account(Forge::Gerrit, &login);
    let hash = queries
        .create(&spec_of(&who, "2026-01-01", "2026-01-31"))
        .await
        .unwrap();
    let failed = open_until_done(&queries, &hash).await.pop().unwrap();
    assert_eq!(failed.people[0].accounts[0].state, AccountState::Failed);
    assert!(failed.people[0].accounts[0].problem.is_some());

    // Opening it again shows the failure without fetching again.
    let again = queries.summary(&hash).await.unwrap().unwrap();
    assert!(!again.fetching);
    assert_eq!(again.people[0].accounts[0].state, AccountState::Failed);

    // The forge recovers; a retry fetches and the account is whole.
    set_faults(&simulator, Forge::Gerrit, serde_json::json!({})).await;
    queries.retry(&hash).await.unwrap().unwrap();
    let retried = open_until_done(&queries, &hash).await.pop().unwrap();
    assert_eq!(retried.people[0].accounts[0].state, AccountState::Ok);
    let truth = truth_of(
        &simulator,
        Forge::Gerrit,
        &login,
        "2026-01-01",
        "2026-01-31",
    );
    assert_eq!(retried.total, truth.total);
    assert!(
        queries
            .retry(&QueryHash::parse("AAAAAAAAAAA").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_store_error_while_fetching_leaves_the_account_failed_not_ok() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let queries = service(&simulator, db.store.clone()).await;
    let login = people(&simulator.world, Forge::GitHub, 1).remove(0);
    let who = account(Forge::GitHub, &login);
    // The database refuses the days (as a full disk would).
    sqlx::query(
        "CREATE FUNCTION refuse() RETURNS trigger AS $$
         BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END
         $$ LANGUAGE plpgsql",
    )
    .execute(db.store.pool())
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER refuse BEFORE INSERT ON contributions FOR EACH ROW EXECUTE FUNCTION refuse()")
        .execute(db.store.pool())
        .await
        .unwrap();
    let hash = queries
        .create(&spec_of(&who, "2025-07-01", "2026-06-30"))
        .await
        .unwrap();
    let failed = open_until_done(&queries, &hash).await.pop().unwrap();
    let state = &failed.people[0].accounts[0];
    assert_eq!(state.state, AccountState::Failed, "{state:?}");
    assert!(
        state.problem.as_deref().unwrap().contains("No space left"),
        "{state:?}"
    );
    simulator.stop().await;
}

/// Coverage travels with the numbers: the days the summary says are
/// missing are exactly those the graphs mark, each other day counts the
/// truth, and a period's items name who misses days in it.
fn assert_fetched_days_are_the_truth(
    summary: &Summary,
    activity: &Activity,
    truth: &sim::truth::Truth,
) {
    let runs = activity.unfetched_runs(Some(0));
    let missing: Vec<NaiveDate> = runs
        .iter()
        .flat_map(|&(first, last)| first.iter_days().take_while(move |d| *d <= last))
        .collect();
    let account = &summary.people[0].accounts[0];
    assert_eq!(account.unfetched_days as usize, missing.len(), "{runs:?}");
    let counted = activity.day_totals(Some(0));
    for day in activity.from.iter_days().take_while(|d| *d <= activity.to) {
        if !missing.contains(&day) {
            let truth = truth.by_day.get(&day).copied().unwrap_or(0);
            assert_eq!(counted.get(&day).copied().unwrap_or(0), truth, "{day}");
        }
    }
    if let Some(&(first, last)) = runs.first() {
        let days = u32::try_from((last - first).num_days() + 1).unwrap();
        assert_eq!(activity.unfetched_between(first, last), vec![(0, days)]);
    }
}

/// What a fill under a governed share came to: its last summary, the
/// truth, how often it was put off, and what each window of the forge's
/// budget saw spent.
struct Governed {
    summary: Summary,
    truth: sim::truth::Truth,
    put_off: usize,
    windows: Vec<u32>,
}

impl Governed {
    /// The fill ended at the truth, over more than `windows` windows, none
    /// of which saw more than `most` requests.
    fn assert_whole_within(&self, windows: usize, most: u32) {
        assert!(self.summary.complete());
        assert_eq!(self.summary.total, self.truth.total);
        assert!(self.windows.len() > windows, "{:?}", self.windows);
        assert!(
            self.windows.iter().all(|used| *used <= most),
            "{:?}",
            self.windows
        );
    }
}

/// Fills a busy GitLab person's two years (about 125 requests) with
/// `units` requests a `window` of which queries (what anyone can start)
/// may spend `share`, retrying whenever the fill is put off, and checking
/// at each stop that what is shown is the truth or says it is missing.
async fn fill_under_share(units: u32, window: Duration, share: f64) -> Governed {
    let mut config = SimConfig::default();
    config.gitlab.authenticated = sim::server::budget::Limit { units, window };
    let simulator = Simulator::start(world(1), config).await.unwrap();
    let db = TestDb::new().await;
    let directory = Arc::new(Directory::with_limits(
        common::endpoints(&simulator),
        move || common::deferring(share),
    ));
    let filler = Filler::new(db.store.clone(), directory, Freshness::default());
    let queries = Arc::new(Queries::new(Arc::new(filler), Bounds::default()));
    let login = people(&simulator.world, Forge::GitLab, 1).remove(0);
    let who = account(Forge::GitLab, &login);
    let hash = queries
        .create(&spec_of(&who, "2025-01-01", "2026-12-31"))
        .await
        .unwrap();
    // What the queries spent of each window so far.
    let used = || {
        simulator.budget_usage(
            Forge::GitLab,
            Some(sim::server::demo_token(Forge::GitLab)),
            "api",
        )
    };
    let truth = truth_of(
        &simulator,
        Forge::GitLab,
        &login,
        "2025-01-01",
        "2026-12-31",
    );
    let mut put_off = 0;
    let summary = loop {
        let summary = open_until_done(&queries, &hash).await.pop().unwrap();
        let activity = queries.activity(&hash).await.unwrap().unwrap();
        assert_fetched_days_are_the_truth(&summary, &activity, &truth);
        let state = &summary.people[0].accounts[0];
        if state.state == AccountState::Ok {
            break summary;
        }
        // Put off, it says so, and no number passes for a whole one.
        assert_eq!(state.state, AccountState::Failed, "{state:?}");
        let problem = state.problem.clone().unwrap();
        assert!(
            problem.contains("share of the forge's rate limit"),
            "{problem}"
        );
        assert!(!summary.complete() && !activity.complete());
        // A day it misses says so, and whose.
        let (missing, _) = activity.unfetched_runs(Some(0))[0];
        let items = queries
            .period(&hash, Period::Day(missing), None, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            items.unfetched,
            vec![UnfetchedDays {
                person: login.clone(),
                days: 1
            }]
        );
        put_off += 1;
        assert!(put_off < 60, "the fill makes progress: {:?}", used());
        tokio::time::sleep(window / 3).await;
        queries.retry(&hash).await.unwrap().unwrap();
    };
    let windows = used();
    simulator.stop().await;
    Governed {
        summary,
        truth,
        put_off,
        windows,
    }
}

#[tokio::test]
async fn query_fills_keep_to_their_share_and_fail_visibly_until_the_budget_renews() {
    // 200 requests a 3-second window, a quarter of it for queries: the
    // rest stays for signed-in people and background work.
    let fill = fill_under_share(200, Duration::from_secs(3), 0.25).await;
    assert!(
        fill.put_off >= 1,
        "a busy person's two years do not fit 50 requests"
    );
    // In every window, queries left three quarters of the budget.
    fill.assert_whole_within(1, 50);
}

#[tokio::test]
async fn a_piece_needing_more_than_a_windows_share_waits_for_resets_instead_of_starting_over() {
    // 18 requests a window for queries, where a 92-day piece of this
    // person takes 19 to 25: stored whole or not at all, such a piece
    // would be cut short at every reset and started over for ever.
    let fill = fill_under_share(90, Duration::from_secs(2), 0.2).await;
    // It waited for resets instead of failing, and kept to the share.
    eprintln!("requests per window: {:?}", fill.windows);
    assert_eq!(fill.put_off, 0);
    fill.assert_whole_within(2, 18);
}

#[tokio::test]
async fn the_budgets_a_fill_heard_of_are_kept_for_the_api_and_never_go_back() {
    let simulator = Simulator::start(world(1), SimConfig::default())
        .await
        .unwrap();
    let db = TestDb::new().await;
    let directory = Arc::new(Directory::with_limits(
        common::endpoints(&simulator),
        common::impatient,
    ));
    let filler = Filler::new(db.store.clone(), directory.clone(), Freshness::default());
    let login = people(&simulator.world, Forge::GitHub, 1).remove(0);
    filler
        .ensure(
            &account(Forge::GitHub, &login),
            day("2026-01-01"),
            day("2026-03-31"),
        )
        .await
        .unwrap();
    engine::forge::directory::keep_standings(&db.store, std::slice::from_ref(&directory))
        .await
        .unwrap();
    let kept = db.store.rate_limits().await.unwrap();
    assert!(!kept.is_empty(), "the fill's budgets are kept");
    let token = sim::server::demo_token(Forge::GitHub);
    for budget in &kept {
        assert_eq!(budget.forge, Forge::GitHub);
        assert_eq!(
            budget.token,
            engine::forge::directory::token_key(Some(token))
        );
        // What the forge's last answer said: the window's limit less what
        // the simulator counted in it.
        let bucket = ["core", "search", "graphql"]
            .into_iter()
            .find(|b| *b == budget.bucket)
            .unwrap();
        let used = *simulator
            .budget_usage(Forge::GitHub, Some(token), bucket)
            .last()
            .unwrap();
        assert_eq!(
            budget.remaining,
            budget.limit - u64::from(used),
            "{budget:?}"
        );
    }
    // Kept again with nothing new heard, the figures keep the time they
    // were first heard.
    engine::forge::directory::keep_standings(&db.store, std::slice::from_ref(&directory))
        .await
        .unwrap();
    assert_eq!(db.store.rate_limits().await.unwrap(), kept);
    // A client that heard of more budget left in the same window (an older
    // answer) does not put it back; a later window does.
    let first = &kept[0];
    let standing = |remaining, reset| engine::forge::governor::Standing {
        bucket: first.bucket.clone(),
        limit: first.limit,
        remaining,
        reset,
    };
    let reset = u64::try_from(first.reset).unwrap();
    let save = |s: engine::forge::governor::Standing| {
        let store = db.store.clone();
        let (instance, token) = (first.instance.clone(), first.token.clone());
        async move {
            store
                .save_rate_limits(Forge::GitHub, &instance, &token, &[s])
                .await
                .unwrap();
            store.rate_limits().await.unwrap()[0].remaining
        }
    };
    assert_eq!(
        save(standing(first.remaining + 10, reset)).await,
        first.remaining
    );
    assert_eq!(save(standing(first.limit, reset + 3600)).await, first.limit);
    simulator.stop().await;
}
