//! Repository reports: per account, what people did in a set of
//! repositories over a range of days, and how the repositories' issues
//! fare (bug and performance share, time to close, first response, open
//! issues by age and label). The measures are defined once in
//! [`model::report`]; this module gathers the items they are taken over
//! from what the tracker's sync keeps.
//!
//! Commits, pull requests and reviews come from what the sync keeps of
//! them; where a forge keeps no such list for a repository (Gerrit's
//! commits), the report says so instead of counting zero.

pub mod patterns;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use model::forge::Forge;
use model::ids::UserId;
use model::query::PersonSpec;
use model::report::{
    AccountTally, AgeBucket, AgeCount, Concentration, Durations, IssueMeasures, ItemFilter,
    LabelCount, MonthContributors, MonthKpis, PersonJoin, Report, ReportItem, ReportPatterns,
    ReportRepository, Share, Tallies, WeekActivity,
};

use crate::error::{Error, Result};
use crate::forge::directory::Directory;
use crate::jobs::SyncQueue;
use crate::store::Store;
use crate::store::discovery_list::Slice;
use crate::store::reports::{
    ActiveMonths, CommentFact, IssueFact, ItemCursor, ItemQuery, PersonCount, RepositoryFact,
    WeekCount,
};
use crate::store::tracker::RepoId;
use crate::tracker::locate::{Located, locate};
use patterns::Classifier;

/// A report's question: which repositories, which days (UTC, both ends
/// included), which patterns, which accounts are one person, and the
/// instant open issues are aged at.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub repositories: Vec<RepoId>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub patterns: ReportPatterns,
    pub people: Vec<PersonSpec>,
    pub at: DateTime<Utc>,
}

/// What a visitor asks for: repositories by address (a page's address or
/// `forge:path`), days, patterns (`None`: the installation's), and
/// accounts joined into people.
#[derive(Debug, Clone)]
pub struct ReportAsk {
    pub repositories: Vec<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub patterns: Option<ReportPatterns>,
    pub people: Vec<PersonSpec>,
}

/// The installation's bounds and defaults for reports.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// The longest range of days, in years.
    pub max_years: u32,
    /// The most repositories one report covers.
    pub max_repositories: usize,
    /// The patterns a report uses unless its address gives others.
    pub patterns: ReportPatterns,
    /// How long a public repository a signed-in person asked a report on
    /// is kept (and synced) without anyone subscribing; each report on it
    /// moves this on.
    pub keep_for: chrono::Duration,
    /// How many such repositories one person may ask for a day.
    pub requests_per_day: i64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            max_years: model::query::MAX_YEARS,
            max_repositories: MAX_REPOSITORIES,
            patterns: ReportPatterns::default(),
            keep_for: chrono::Duration::days(30),
            requests_per_day: 20,
        }
    }
}

/// The most repositories one report covers, by default.
pub const MAX_REPOSITORIES: usize = 20;

#[derive(Clone)]
pub struct Reports {
    store: Store,
    directory: Arc<Directory>,
    /// Syncs of repositories asked for; `None` where jobs do not run.
    queue: Option<SyncQueue>,
    settings: ReportSettings,
    /// Reports answered lately, by question and the store's generation: a
    /// report many ask for at once (a shared link) is computed once, and
    /// again when the data changed or [`ANSWER_TTL`] passed (open issues
    /// are aged at the answer's `at`, which says when).
    answers: moka::future::Cache<AnswerKey, Arc<Report>>,
}

/// How long an answered report is reused while nothing changed.
const ANSWER_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// A report's question as [`Reports::answer`] reuses answers by it.
type AnswerKey = (
    Vec<RepoId>,
    NaiveDate,
    NaiveDate,
    ReportPatterns,
    Vec<PersonSpec>,
    u64,
);

/// An account on one forge instance, as a report keys people.
type AccountKey = (Forge, String, String);

impl Reports {
    pub fn new(
        store: Store,
        directory: Arc<Directory>,
        queue: Option<SyncQueue>,
        settings: ReportSettings,
    ) -> Self {
        Self {
            store,
            directory,
            queue,
            settings,
            answers: moka::future::Cache::builder()
                .max_capacity(256)
                .time_to_live(ANSWER_TTL)
                .build(),
        }
    }

    pub fn settings(&self) -> &ReportSettings {
        &self.settings
    }

    /// The report a visitor asks for. Only repositories Tally keeps are
    /// reported on; a private one only to a subscriber whose token still
    /// reads it (to anyone else it is not there). One not read yet gives no
    /// numbers at all rather than zeros.
    pub async fn answer(&self, ask: &ReportAsk, viewer: Option<UserId>) -> Result<Report> {
        let (repositories, patterns) = self.resolve(ask, viewer).await?;
        // Checked before the cache: a repository not read yet is never an answer to keep.
        all_read(&self.store.report_repositories(&repositories).await?)?;
        let generation = self.store.generation();
        let request = ReportRequest {
            repositories,
            from: ask.from,
            to: ask.to,
            patterns,
            people: ask.people.clone(),
            at: Utc::now(),
        };
        let key = (
            request.repositories.clone(),
            request.from,
            request.to,
            request.patterns.clone(),
            request.people.clone(),
            generation,
        );
        let answer = self
            .answers
            .try_get_with(key, async { self.report(&request).await.map(Arc::new) })
            .await
            // Those waiting on one computation share its failure.
            .map_err(|shared| {
                Arc::try_unwrap(shared)
                    .unwrap_or_else(|shared| Error::Inconsistent(shared.to_string()))
            })?;
        Ok(Report::clone(&answer))
    }

    /// A page of the items behind one count of the report a visitor asks
    /// for (newest first), as that visitor may see them.
    pub async fn items(
        &self,
        ask: &ReportAsk,
        viewer: Option<UserId>,
        filter: &ItemFilter,
        after: Option<&ItemCursor>,
        limit: usize,
    ) -> Result<Slice<ReportItem, ItemCursor>> {
        let (repositories, _) = self.resolve(ask, viewer).await?;
        all_read(&self.store.report_repositories(&repositories).await?)?;
        let (start, end) = bounds(ask.from, ask.to);
        let (start, end) = match filter.week {
            Some(monday) => {
                let (week_start, week_end) = bounds(monday, monday + chrono::Duration::days(6));
                (start.max(week_start), end.min(week_end))
            }
            None => (start, end),
        };
        let query = ItemQuery {
            repositories: &repositories,
            from: start,
            until: end.max(start),
            kind: filter.kind,
            accounts: &filter.accounts,
        };
        self.store.report_items(&query, after, limit).await
    }

    /// The repositories a visitor's ask names, checked, as that visitor may
    /// see them, and the patterns it is classified with.
    async fn resolve(
        &self,
        ask: &ReportAsk,
        viewer: Option<UserId>,
    ) -> Result<(Vec<RepoId>, ReportPatterns)> {
        in_order(ask.from, ask.to)?;
        let limit = self.settings.max_repositories;
        if ask.repositories.is_empty() {
            return Err(Error::Invalid(
                "r: name a repository (its address, or forge:path)".into(),
            ));
        }
        if ask.repositories.len() > limit {
            return Err(Error::Invalid(format!(
                "r: {} repositories; a report covers at most {limit}",
                ask.repositories.len()
            )));
        }
        let years = self.settings.max_years;
        let longest = ask
            .from
            .checked_add_months(chrono::Months::new(12 * years))
            .unwrap_or(NaiveDate::MAX);
        if ask.to >= longest {
            return Err(Error::Invalid(format!(
                "to: {} is more than {years} years after from ({}), the longest range this installation reports on",
                ask.to, ask.from
            )));
        }
        let patterns = ask
            .patterns
            .clone()
            .unwrap_or_else(|| self.settings.patterns.clone());
        // Input first: a bad pattern is named before any repository is looked up.
        Classifier::new(&patterns)?;
        let mut ids = Vec::with_capacity(ask.repositories.len());
        for address in &ask.repositories {
            let repo = self.kept(address, viewer).await?;
            if !ids.contains(&repo) {
                ids.push(repo);
            }
        }
        Ok((ids, patterns))
    }

    /// The kept repository `address` names, if the viewer may see it. A
    /// public one nobody keeps is kept for a signed-in viewer, and read.
    async fn kept(&self, address: &str, viewer: Option<UserId>) -> Result<RepoId> {
        let located =
            locate(&self.directory, address).map_err(|e| Error::Invalid(format!("r: {e}")))?;
        let Some(repo) = self
            .store
            .find_tracked(located.forge, &located.instance, &located.path)
            .await?
        else {
            return Err(match viewer {
                Some(user) => self.keep(&located, user).await?,
                None => missing(&located),
            });
        };
        if repo.private {
            let reads = match viewer {
                Some(user) => self.store.reads_repository(user, repo.id).await?,
                None => false,
            };
            if !reads {
                return Err(missing(&located));
            }
        }
        self.store
            .report_viewed(repo.id, Utc::now() + self.settings.keep_for)
            .await?;
        if repo.watermark.is_none() {
            // Why its first sync has not ended yet, when it says (put off
            // until the rate limit renews, or failed and to be tried again).
            return Err(match &repo.last_error {
                Some(problem) => Error::NotReady {
                    what: format!("{}:{} ({problem})", located.forge.key(), located.path),
                },
                None => not_ready(&located),
            });
        }
        Ok(repo.id)
    }

    /// Starts keeping the public repository `located` for `user`'s report:
    /// the error to answer meanwhile (not ready; or why it cannot be kept).
    async fn keep(&self, located: &Located, user: UserId) -> Result<Error> {
        let Some(queue) = &self.queue else {
            return Ok(missing(located));
        };
        let limit = self.settings.requests_per_day;
        let asked = self
            .store
            .report_requests_since(user, Utc::now() - chrono::Duration::days(1))
            .await?;
        if asked >= limit {
            return Ok(Error::Invalid(format!(
                "r: you asked for reports on {asked} repositories nobody subscribes to in the last day; {limit} a day is the most"
            )));
        }
        let client = self
            .directory
            .client_at(located.forge, Some(&located.instance))?;
        let info = match client.repository(&located.path).await {
            Ok(info) if !info.private => info,
            Ok(_) | Err(Error::NotFound { .. }) => return Ok(missing(located)),
            Err(other) => return Err(other),
        };
        let until = Utc::now() + self.settings.keep_for;
        let id = self
            .store
            .keep_for_report(located.forge, &located.instance, &info, user, until)
            .await?;
        queue.enqueue(id, true).await?;
        Ok(not_ready(located))
    }

    pub async fn report(&self, request: &ReportRequest) -> Result<Report> {
        in_order(request.from, request.to)?;
        let classifier = Classifier::new(&request.patterns)?;
        let (start, end) = bounds(request.from, request.to);
        let window = Window {
            start,
            end: end.min(request.at + chrono::Duration::nanoseconds(1)),
            at: request.at,
        };
        let repositories = self
            .store
            .report_repositories(&request.repositories)
            .await?;
        all_read(&repositories)?;
        // Four reads that do not depend on each other, at once.
        let ids = &request.repositories;
        let (issues, comments, acts, months) = tokio::try_join!(
            self.store.report_issues(ids, start, end, request.at),
            self.store.report_comments(ids, start, end),
            self.store
                .report_activity_counts(ids, window.start, window.end),
            self.store
                .report_active_months(ids, window.start, window.end),
        )?;
        let answers = first_answers(&issues, &comments, &classifier, &window);
        let join = PersonJoin::new(&request.people);
        let people = join.join(tallies(&repositories, &acts.people));
        Ok(Report {
            from: request.from,
            to: request.to,
            at: request.at,
            concentration: Concentration::of(people.iter().map(|p| p.counts.commits)),
            weeks: weeks(&acts.weeks, &window),
            monthly: monthly(
                &issues,
                &answers,
                &classifier,
                &window,
                closes_known(&repositories).0,
            ),
            people,
            issues: measures(&issues, &answers, &classifier, &window, &repositories),
            contributors: contributors(&months, &join),
            unavailable: unavailable(&repositories),
            repositories: repositories.iter().filter_map(shown).collect(),
        })
    }
}

/// No numbers rather than zeros: [`Error::NotReady`] while a repository's
/// issues, pull requests or commits have not been read once (its first
/// sync reads them one after another).
fn all_read(repositories: &[RepositoryFact]) -> Result<()> {
    match repositories.iter().find(|r| !r.is_read()) {
        Some(waiting) => Err(Error::NotReady {
            what: format!("{}:{}", waiting.forge.key(), waiting.path),
        }),
        None => Ok(()),
    }
}

fn missing(located: &Located) -> Error {
    Error::NotFound {
        what: format!(
            "{}:{} is not kept by this installation (sign in to have it read, or subscribe to it)",
            located.forge.key(),
            located.path
        ),
    }
}

fn not_ready(located: &Located) -> Error {
    Error::NotReady {
        what: format!("{}:{}", located.forge.key(), located.path),
    }
}

fn in_order(from: NaiveDate, to: NaiveDate) -> Result<()> {
    if from > to {
        return Err(Error::Invalid(format!("from: {from} is after to ({to})")));
    }
    Ok(())
}

/// The instants `[start, end)` a range of UTC days spans.
fn bounds(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = to
        .succ_opt()
        .unwrap_or(to)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    (start, end)
}

/// The range as instants, cut at the report's instant (nothing later has
/// happened), and that instant.
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    at: DateTime<Utc>,
}

impl Window {
    fn holds(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// The Monday (UTC) of the week `at` falls in.
fn monday(at: DateTime<Utc>) -> NaiveDate {
    let day = at.date_naive();
    day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Per account.
fn tallies(repositories: &[RepositoryFact], acts: &[PersonCount]) -> Vec<AccountTally> {
    let place: HashMap<RepoId, (Forge, &str)> = repositories
        .iter()
        .map(|r| (r.id, (r.forge, r.instance.as_str())))
        .collect();
    let mut accounts: BTreeMap<AccountKey, AccountTally> = BTreeMap::new();
    for act in acts {
        let (forge, instance) = place[&act.repository];
        accounts
            .entry((forge, instance.to_owned(), act.who.clone()))
            .or_insert_with(|| AccountTally {
                forge,
                instance: instance.to_owned(),
                account: act.who.clone(),
                counts: Tallies::default(),
            })
            .counts
            .add(act.kind, act.count);
    }
    accounts.into_values().collect()
}

/// Everyone's acts per week, every week the window touches.
fn weeks(acts: &[WeekCount], window: &Window) -> Vec<WeekActivity> {
    let mut weeks: BTreeMap<NaiveDate, Tallies> = BTreeMap::new();
    if window.start < window.end {
        let last = monday(window.end - chrono::Duration::nanoseconds(1));
        let mut week = monday(window.start);
        while week <= last {
            weeks.insert(week, Tallies::default());
            week += chrono::Duration::days(7);
        }
    }
    for act in acts {
        weeks.entry(act.week).or_default().add(act.kind, act.count);
    }
    weeks
        .into_iter()
        .map(|(week, counts)| WeekActivity { week, counts })
        .collect()
}

/// The issue KPIs of each calendar month the window touches.
fn monthly(
    issues: &[IssueFact],
    answers: &Answers,
    classifier: &Classifier,
    window: &Window,
    closes_known: bool,
) -> Vec<MonthKpis> {
    let mut found = Vec::new();
    let mut start = window.start;
    while start < window.end {
        let day = start.date_naive();
        let next = day
            .with_day(1)
            .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
            .map_or(window.end, |d| d.and_time(chrono::NaiveTime::MIN).and_utc());
        let part = Window {
            start,
            end: next.min(window.end),
            at: window.at,
        };
        let flow = Flow::of(issues, answers, classifier, &part, closes_known);
        found.push(MonthKpis {
            month: day.format("%Y-%m").to_string(),
            opened: flow.opened,
            bug_share: flow.bug_share,
            performance_share: flow.performance_share,
            time_to_close: flow.close_seconds.map(Durations::of),
            first_response: Durations::of(flow.first_response),
        });
        start = next;
    }
    found
}

/// New and returning contributors per month, from each person's first act
/// (the first of their accounts') and the months any of their accounts
/// acted in.
fn contributors(accounts: &[ActiveMonths], join: &PersonJoin) -> Vec<MonthContributors> {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Who<'a> {
        Person(usize),
        Account(Forge, &'a str, &'a str),
    }
    let mut people: BTreeMap<Who, (DateTime<Utc>, BTreeSet<DateTime<Utc>>)> = BTreeMap::new();
    for account in accounts {
        let who = match join.person_of(account.forge, &account.instance, &account.who) {
            Some(n) => Who::Person(n),
            None => Who::Account(account.forge, &account.instance, &account.who),
        };
        let (first, months) = people
            .entry(who)
            .or_insert_with(|| (account.first, BTreeSet::new()));
        *first = (*first).min(account.first);
        months.extend(account.months.iter().copied());
    }
    let month_of = |t: &DateTime<Utc>| t.format("%Y-%m").to_string();
    let mut months: BTreeMap<String, MonthContributors> = BTreeMap::new();
    for (first, active) in people.values() {
        let first = month_of(first);
        for month in active.iter().map(month_of) {
            let entry = months
                .entry(month.clone())
                .or_insert_with(|| MonthContributors {
                    month: month.clone(),
                    new: 0,
                    returning: 0,
                });
            if month == first {
                entry.new += 1;
            } else {
                entry.returning += 1;
            }
        }
    }
    months.into_values().collect()
}

fn shown(repository: &RepositoryFact) -> Option<ReportRepository> {
    Some(ReportRepository {
        forge: repository.forge,
        instance: repository.instance.clone(),
        path: repository.path.clone(),
        url: repository.url.clone(),
        read_until: repository.read_until?,
        problem: repository.problem.clone(),
    })
}

/// The lists some repository's forge keeps none of, and why.
fn unavailable(repositories: &[RepositoryFact]) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (key, reason) in repositories.iter().flat_map(|r| {
        [
            ("pull_requests", &r.changes_unavailable),
            ("commits", &r.commits_unavailable),
        ]
        .into_iter()
        .filter_map(move |(key, reason)| {
            reason
                .as_ref()
                .map(|reason| (key, format!("{}: {reason}", r.path)))
        })
    }) {
        found
            .entry(key.to_owned())
            .and_modify(|all: &mut String| {
                all.push_str("; ");
                all.push_str(&reason);
            })
            .or_insert(reason);
    }
    found
}

/// Per issue opened in the range (by repository and number): seconds
/// until its first answer, `None` while it has none.
type Answers = HashMap<(RepoId, u64), Option<i64>>;

/// How issues flowed in one window: those opened in it (how many bugs and
/// performance reports, how soon answered), and those closed in it.
struct Flow {
    opened: u64,
    bug_share: Share,
    performance_share: Share,
    /// `None` when no repository's forge says when issues close.
    close_seconds: Option<Vec<i64>>,
    first_response: Vec<i64>,
    unanswered: u64,
}

impl Flow {
    fn of(
        issues: &[IssueFact],
        answers: &Answers,
        classifier: &Classifier,
        window: &Window,
        closes_known: bool,
    ) -> Self {
        let (mut opened, mut bugs, mut performance, mut unanswered) = (0, 0, 0, 0);
        let mut first_response = Vec::new();
        let mut close_seconds = Vec::new();
        for issue in issues {
            if window.holds(issue.created_at) {
                opened += 1;
                bugs += u64::from(classifier.bug.any_label(&issue.labels));
                performance += u64::from(classifier.performance.any_label(&issue.labels));
                match answers
                    .get(&(issue.repository, issue.number))
                    .copied()
                    .flatten()
                {
                    Some(seconds) => first_response.push(seconds),
                    None => unanswered += 1,
                }
            }
            if let Some(closed) = issue.closed_at.filter(|c| window.holds(*c))
                && says_when_closed(issue.forge)
            {
                close_seconds.push((closed - issue.created_at).num_seconds());
            }
        }
        Self {
            opened,
            bug_share: Share::new(bugs, opened),
            performance_share: Share::new(performance, opened),
            close_seconds: closes_known.then_some(close_seconds),
            first_response,
            unanswered,
        }
    }
}

fn measures(
    issues: &[IssueFact],
    answers: &Answers,
    classifier: &Classifier,
    window: &Window,
    repositories: &[RepositoryFact],
) -> IssueMeasures {
    let (closes_known, unavailable) = closes_known(repositories);
    let flow = Flow::of(issues, answers, classifier, window, closes_known);
    let open: Vec<&IssueFact> = issues
        .iter()
        .filter(|i| {
            i.created_at <= window.at && (i.open || i.closed_at.is_some_and(|c| c > window.at))
        })
        .collect();
    IssueMeasures {
        opened: flow.opened,
        bug_share: flow.bug_share,
        performance_share: flow.performance_share,
        closed_after: flow.close_seconds.as_deref().map_or_else(Vec::new, buckets),
        time_to_close: flow.close_seconds.map(Durations::of),
        first_response: Durations::of(flow.first_response),
        unanswered: flow.unanswered,
        open_by_age: by_age(&open, window.at),
        open_by_label: by_label(&open),
        unavailable,
    }
}

/// Whether `forge` says when an issue was closed. Bitbucket's issues have
/// no such field (only a list of changes per issue, one request each).
fn says_when_closed(forge: Forge) -> bool {
    forge != Forge::Bitbucket
}

/// Whether any repository with issues is on a forge that says when they
/// close (Gerrit keeps no issues); and, when some are not, which and what
/// that leaves out.
fn closes_known(repositories: &[RepositoryFact]) -> (bool, BTreeMap<String, String>) {
    let with_issues = || repositories.iter().filter(|r| r.forge != Forge::Gerrit);
    let silent: Vec<&RepositoryFact> = with_issues()
        .filter(|r| !says_when_closed(r.forge))
        .collect();
    let known = silent.is_empty() || with_issues().any(|r| says_when_closed(r.forge));
    let mut unavailable = BTreeMap::new();
    if !silent.is_empty() {
        let mut names: Vec<&str> = silent.iter().map(|r| r.forge.name()).collect();
        names.dedup();
        let outcome = if known {
            "are left out"
        } else {
            "have no time to close"
        };
        unavailable.insert(
            "time_to_close".to_owned(),
            format!(
                "{} does not say when an issue was closed: {} of the repositories {outcome}",
                names.join(" and "),
                silent.len(),
            ),
        );
    }
    (known, unavailable)
}

/// For each issue opened in the window: seconds until the first comment
/// by someone other than its author and not a bot, if any.
fn first_answers(
    issues: &[IssueFact],
    comments: &[CommentFact],
    classifier: &Classifier,
    window: &Window,
) -> Answers {
    let mut answers: Answers = HashMap::new();
    let mut opened: HashMap<(RepoId, u64), &IssueFact> = HashMap::new();
    for issue in issues.iter().filter(|i| window.holds(i.created_at)) {
        let key = (issue.repository, issue.number);
        opened.insert(key, issue);
        answers.insert(key, None);
    }
    // Comments come oldest first, so the first one kept per issue is its answer.
    for comment in comments {
        let key = (comment.repository, comment.issue_number);
        let (Some(issue), Some(author)) = (opened.get(&key), comment.author.as_deref()) else {
            continue;
        };
        if Some(author) != issue.author.as_deref() && !classifier.bots.matches(author) {
            let answer = answers.entry(key).or_default();
            if answer.is_none() {
                *answer = Some((comment.created_at - issue.created_at).num_seconds());
            }
        }
    }
    answers
}

fn by_age(open: &[&IssueFact], at: DateTime<Utc>) -> Vec<AgeCount> {
    let ages: Vec<i64> = open
        .iter()
        .map(|i| (at - i.created_at).num_seconds())
        .collect();
    buckets(&ages)
}

/// How many of `seconds` fall in each age bucket, every bucket in order.
fn buckets(seconds: &[i64]) -> Vec<AgeCount> {
    let mut counts: BTreeMap<AgeBucket, u64> = AgeBucket::ALL.iter().map(|b| (*b, 0)).collect();
    for s in seconds {
        *counts.entry(AgeBucket::of_seconds(*s)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(age, issues)| AgeCount { age, issues })
        .collect()
}

fn by_label(open: &[&IssueFact]) -> Vec<LabelCount> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for issue in open {
        let mut labels: Vec<&str> = issue.labels.iter().map(String::as_str).collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels {
            *counts.entry(label).or_default() += 1;
        }
    }
    let mut list: Vec<LabelCount> = counts
        .into_iter()
        .map(|(label, issues)| LabelCount {
            label: label.to_owned(),
            issues,
        })
        .collect();
    list.sort_by(|a, b| b.issues.cmp(&a.issues).then_with(|| a.label.cmp(&b.label)));
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, hour, 0, 0).unwrap()
    }

    fn issue(number: u64, author: &str) -> IssueFact {
        IssueFact {
            repository: RepoId(1),
            forge: Forge::GitHub,
            instance: "github.com".into(),
            number,
            author: Some(author.into()),
            labels: Vec::new(),
            created_at: at(0),
            closed_at: None,
            open: true,
        }
    }

    fn comment(number: u64, author: &str, hour: u32) -> CommentFact {
        CommentFact {
            repository: RepoId(1),
            issue_number: number,
            author: Some(author.into()),
            created_at: at(hour),
        }
    }

    #[test]
    fn the_first_response_leaves_out_the_author_and_bots() {
        let classifier = Classifier::new(&ReportPatterns::default()).unwrap();
        let opened = [issue(1, "ana"), issue(2, "ben")];
        let comments = [
            comment(1, "ana", 1),
            comment(1, "dependabot[bot]", 2),
            comment(1, "carla", 5),
            comment(1, "dan", 7),
            comment(2, "ben", 3),
            comment(2, "ci-bot", 4),
        ];
        let window = Window {
            start: at(0),
            end: at(23),
            at: at(23),
        };
        let answers = first_answers(&opened, &comments, &classifier, &window);
        assert_eq!(
            answers[&(RepoId(1), 1)],
            Some(5 * 3600),
            "carla answered #1 after five hours"
        );
        assert_eq!(
            answers[&(RepoId(1), 2)],
            None,
            "#2 only had its author and a bot"
        );
    }
}
