//! The measures of a repository report, defined once: the server computes
//! reports with them, the pages print their definitions, and tests apply
//! them to the simulator's truth. Every measure keeps the integers it is
//! made of (a share is `matching` of `of`, never a bare ratio), so a
//! number on the page can be traced to the items behind it.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::forge::Forge;
use crate::query::PersonSpec;

mod people;
pub use people::{AccountTally, MOST_PEOPLE, PersonJoin, PersonTally};

/// Most patterns of one kind a report takes.
pub const MOST_PATTERNS: usize = 20;

/// Labels that make an issue a bug report (matched case-insensitively;
/// each issue counts once however many of its labels match). Bitbucket's
/// issue kind shows as the label `bug`.
pub const DEFAULT_BUG_PATTERNS: &[&str] = &[r"^((type|kind)\s*[:/]\s*)?bug$", r"^defect$"];

/// Labels that make an issue a performance report.
pub const DEFAULT_PERFORMANCE_PATTERNS: &[&str] =
    &[r"^((type|kind)\s*[:/]\s*)?(perf|performance)$", r"^slow$"];

/// Accounts whose comments are not a first response (bots).
pub const DEFAULT_BOT_PATTERNS: &[&str] = &[r"\[bot\]$", r"-bot$", r"^(dependabot|renovate)\b"];

/// The label and account patterns a report classifies with: regular
/// expressions, case-insensitive, each list at most [`MOST_PATTERNS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReportPatterns {
    pub bug: Vec<String>,
    pub performance: Vec<String>,
    pub bots: Vec<String>,
}

impl Default for ReportPatterns {
    fn default() -> Self {
        let owned = |list: &[&str]| list.iter().map(|p| (*p).to_owned()).collect();
        Self {
            bug: owned(DEFAULT_BUG_PATTERNS),
            performance: owned(DEFAULT_PERFORMANCE_PATTERNS),
            bots: owned(DEFAULT_BOT_PATTERNS),
        }
    }
}

/// One kind of act a report tallies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TallyKind {
    /// Commits authored on the default branch.
    Commits,
    IssuesOpened,
    /// Pull/merge requests (Gerrit changes, Differential revisions) opened.
    PullsOpened,
    /// The author's pull requests merged.
    PullsMerged,
    /// Approvals, requested changes and review comments.
    Reviews,
    IssueComments,
}

impl TallyKind {
    pub const ALL: [Self; 6] = [
        Self::Commits,
        Self::PullsOpened,
        Self::PullsMerged,
        Self::Reviews,
        Self::IssuesOpened,
        Self::IssueComments,
    ];

    /// Its name in a heading.
    pub fn label(self) -> &'static str {
        match self {
            Self::Commits => "Commits",
            Self::IssuesOpened => "Issues opened",
            Self::PullsOpened => "Pull requests opened",
            Self::PullsMerged => "Pull requests merged",
            Self::Reviews => "Reviews",
            Self::IssueComments => "Issue comments",
        }
    }

    /// The kind `key` names.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// Its name in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            Self::Commits => "commits",
            Self::IssuesOpened => "issues_opened",
            Self::PullsOpened => "pulls_opened",
            Self::PullsMerged => "pulls_merged",
            Self::Reviews => "reviews",
            Self::IssueComments => "issue_comments",
        }
    }
}

/// How many of each kind of act, in the range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tallies {
    pub commits: u64,
    pub issues_opened: u64,
    pub pulls_opened: u64,
    pub pulls_merged: u64,
    pub reviews: u64,
    pub issue_comments: u64,
}

impl Tallies {
    pub fn get(&self, kind: TallyKind) -> u64 {
        match kind {
            TallyKind::Commits => self.commits,
            TallyKind::IssuesOpened => self.issues_opened,
            TallyKind::PullsOpened => self.pulls_opened,
            TallyKind::PullsMerged => self.pulls_merged,
            TallyKind::Reviews => self.reviews,
            TallyKind::IssueComments => self.issue_comments,
        }
    }

    pub fn add(&mut self, kind: TallyKind, n: u64) {
        let slot = match kind {
            TallyKind::Commits => &mut self.commits,
            TallyKind::IssuesOpened => &mut self.issues_opened,
            TallyKind::PullsOpened => &mut self.pulls_opened,
            TallyKind::PullsMerged => &mut self.pulls_merged,
            TallyKind::Reviews => &mut self.reviews,
            TallyKind::IssueComments => &mut self.issue_comments,
        };
        *slot += n;
    }

    /// Everything counted, for ordering people.
    pub fn total(&self) -> u64 {
        TallyKind::ALL.iter().map(|k| self.get(*k)).sum()
    }
}

/// Everyone's acts in one week of the range (weeks start on Monday, UTC;
/// the first and last may be cut by the range).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekActivity {
    /// The week's Monday.
    pub week: NaiveDate,
    #[serde(flatten)]
    pub counts: Tallies,
}

/// A month's issue KPIs: the range's measures over the part of it in that
/// month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthKpis {
    /// `YYYY-MM`.
    pub month: String,
    pub opened: u64,
    pub bug_share: Share,
    pub performance_share: Share,
    pub time_to_close: Option<Durations>,
    pub first_response: Durations,
}

/// The people active in one calendar month of the range: new ones (their
/// first act in these repositories was that month) and returning ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthContributors {
    /// `YYYY-MM`.
    pub month: String,
    pub new: u64,
    pub returning: u64,
}

/// Open issues of one age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgeCount {
    pub age: AgeBucket,
    pub issues: u64,
}

/// Open issues with one label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabelCount {
    pub label: String,
    pub issues: u64,
}

/// The issue side of a report. Gerrit keeps no issues: its repositories
/// add nothing here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueMeasures {
    /// Issues opened in the range.
    pub opened: u64,
    /// Of those, the bug reports and the performance reports.
    pub bug_share: Share,
    pub performance_share: Share,
    /// Issues closed in the range, from opening to their last close;
    /// `None` when no repository's forge says when issues close (see
    /// `unavailable`).
    pub time_to_close: Option<Durations>,
    /// The same issues by how long they took to close (every bucket, in
    /// order; empty when `time_to_close` is `None`).
    pub closed_after: Vec<AgeCount>,
    /// Issues opened in the range that someone other than their author
    /// (and not a bot) answered, until that first answer.
    pub first_response: Durations,
    /// Issues opened in the range nobody else has answered yet.
    pub unanswered: u64,
    /// Issues open at the report's instant, by age (every bucket, in order)
    /// and by label (most first).
    pub open_by_age: Vec<AgeCount>,
    pub open_by_label: Vec<LabelCount>,
    /// Measures missing or partial, and why (`time_to_close`: Bitbucket
    /// does not say when an issue was closed).
    pub unavailable: std::collections::BTreeMap<String, String>,
}

/// One repository a report covers, and how current what Tally keeps of it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRepository {
    pub forge: Forge,
    pub instance: String,
    pub path: String,
    /// Its page on the forge.
    pub url: String,
    /// Everything the forge changed before this instant is counted.
    pub read_until: DateTime<Utc>,
    /// Why its last sync failed, while it did: its numbers are those of
    /// the sync before.
    pub problem: Option<String>,
}

/// A report over a set of repositories and a range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// When open issues were aged: the answer's time.
    pub at: DateTime<Utc>,
    pub repositories: Vec<ReportRepository>,
    /// People (accounts, joined where the address says) that did anything
    /// in the range, busiest first.
    pub people: Vec<PersonTally>,
    pub issues: IssueMeasures,
    /// Everyone's acts per week of the range, oldest first.
    pub weeks: Vec<WeekActivity>,
    /// The issue KPIs per month of the range, oldest first.
    pub monthly: Vec<MonthKpis>,
    /// How the range's commits spread over their authors.
    pub concentration: Concentration,
    /// Per month of the range with any activity, oldest first.
    pub contributors: Vec<MonthContributors>,
    /// Lists a forge keeps none of for some repository (`commits`,
    /// `pull_requests`), and why: their tallies leave those out.
    pub unavailable: std::collections::BTreeMap<String, String>,
}

/// `matching` items of `of`: a bug share, a top contributor's commits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    pub matching: u64,
    pub of: u64,
}

impl Share {
    pub fn new(matching: u64, of: u64) -> Self {
        Self { matching, of }
    }

    /// The share in per cent; `None` when there is nothing to share
    /// ("no issues in range", never 0%).
    #[allow(
        clippy::cast_precision_loss,
        reason = "counts of items are far below 2^52, where f64 is exact"
    )]
    pub fn percent(&self) -> Option<f64> {
        (self.of > 0).then(|| self.matching as f64 * 100.0 / self.of as f64)
    }
}

/// The nearest-rank percentile of `sorted` (ascending): the smallest value
/// that at least `percent`% of the values are at or below. The median is
/// the 50th: for an even count, the lower of the two middle values. Always
/// one of the values, so it can be traced to an item.
pub fn nearest_rank(sorted: &[i64], percent: u8) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // ceil(percent × n / 100), at least the first rank.
    let rank = (usize::from(percent.min(100)) * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Durations in seconds, summarised: how many, the median and the 90th
/// percentile (nearest rank).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Durations {
    pub count: u64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

impl Durations {
    pub fn of(mut seconds: Vec<i64>) -> Self {
        seconds.sort_unstable();
        Self {
            count: seconds.len() as u64,
            median_seconds: nearest_rank(&seconds, 50),
            p90_seconds: nearest_rank(&seconds, 90),
        }
    }
}

/// How much of the commits few people make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Concentration {
    /// People with at least one commit.
    pub authors: u64,
    /// The fewest people who together made at least half of the commits
    /// (the "bus factor"); 0 when there are no commits.
    pub half_of_commits: u64,
    /// The top author's commits, and the top five's, of all commits.
    pub top1: Share,
    pub top5: Share,
}

impl Concentration {
    /// From the commits of each author (in any order; zeros ignored).
    pub fn of(commits_per_author: impl IntoIterator<Item = u64>) -> Self {
        let mut counts: Vec<u64> = commits_per_author.into_iter().filter(|n| *n > 0).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let total: u64 = counts.iter().sum();
        let top = |k: usize| Share::new(counts.iter().take(k).sum(), total);
        let mut running = 0;
        let half_of_commits = counts
            .iter()
            .position(|n| {
                running += n;
                running * 2 >= total
            })
            .map_or(0, |i| i as u64 + 1);
        Self {
            authors: counts.len() as u64,
            half_of_commits,
            top1: top(1),
            top5: top(5),
        }
    }
}

/// How long an open issue has been open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgeBucket {
    /// Less than 7 days.
    UnderAWeek,
    /// 7 to 29 days.
    UnderAMonth,
    /// 30 to 89 days.
    UnderAQuarter,
    /// 90 to 364 days.
    UnderAYear,
    /// A year or more.
    AYearOrMore,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 5] = [
        Self::UnderAWeek,
        Self::UnderAMonth,
        Self::UnderAQuarter,
        Self::UnderAYear,
        Self::AYearOrMore,
    ];

    pub fn of_seconds(seconds: i64) -> Self {
        const DAY: i64 = 86_400;
        match seconds / DAY {
            ..7 => Self::UnderAWeek,
            7..30 => Self::UnderAMonth,
            30..90 => Self::UnderAQuarter,
            90..365 => Self::UnderAYear,
            _ => Self::AYearOrMore,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::UnderAWeek => "under a week",
            Self::UnderAMonth => "1–4 weeks",
            Self::UnderAQuarter => "1–3 months",
            Self::UnderAYear => "3–12 months",
            Self::AYearOrMore => "a year or more",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_one_of_the_values() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 50), Some(7));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        // Even count: the lower middle.
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4, 5], 50), Some(3));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        assert_eq!(nearest_rank(&ten, 100), Some(10));
        assert_eq!(nearest_rank(&ten, 0), Some(1));
    }

    #[test]
    fn durations_sort_before_ranking() {
        let d = Durations::of(vec![50, 10, 40, 20, 30]);
        assert_eq!(
            (d.count, d.median_seconds, d.p90_seconds),
            (5, Some(30), Some(50))
        );
        assert_eq!(Durations::of(Vec::new()), Durations::default());
    }

    #[test]
    fn half_of_the_commits_takes_the_busiest_first() {
        let c = Concentration::of([1, 10, 0, 3, 6]);
        // 20 commits: 10 alone is half.
        assert_eq!(c.authors, 4);
        assert_eq!(c.half_of_commits, 1);
        assert_eq!(c.top1, Share::new(10, 20));
        assert_eq!(c.top5, Share::new(20, 20));
        let even = Concentration::of([5, 5, 5, 5]);
        assert_eq!(even.half_of_commits, 2);
        let none = Concentration::of([]);
        assert_eq!(
            (none.authors, none.half_of_commits, none.top1.percent()),
            (0, 0, None)
        );
    }

    #[test]
    fn an_empty_share_is_no_percentage_rather_than_zero() {
        assert_eq!(Share::new(0, 0).percent(), None);
        assert_eq!(Share::new(0, 4).percent(), Some(0.0));
        assert_eq!(Share::new(1, 4).percent(), Some(25.0));
    }

    proptest::proptest! {
        #[test]
        fn the_nearest_rank_is_the_least_value_with_enough_at_or_below_it(
            mut values in proptest::collection::vec(-1_000_000i64..1_000_000, 1..200),
            percent in 0u8..=100,
        ) {
            values.sort_unstable();
            let found = nearest_rank(&values, percent).unwrap();
            let at_or_below = values.iter().filter(|v| **v <= found).count();
            let below = values.iter().filter(|v| **v < found).count();
            let n = values.len();
            // At least percent% are at or below it (and always one value)...
            proptest::prop_assert!(at_or_below * 100 >= usize::from(percent) * n);
            proptest::prop_assert!(values.contains(&found));
            // ...and no smaller value would do.
            proptest::prop_assert!(below == 0 || below * 100 < (usize::from(percent) * n).max(1));
        }

        #[test]
        fn half_of_the_commits_is_the_fewest_people_that_make_half(
            counts in proptest::collection::vec(0u64..500, 0..60),
        ) {
            let c = Concentration::of(counts.iter().copied());
            let mut sorted: Vec<u64> = counts.iter().copied().filter(|n| *n > 0).collect();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            let total: u64 = sorted.iter().sum();
            let top = |k: u64| sorted.iter().take(usize::try_from(k).unwrap()).sum::<u64>();
            proptest::prop_assert_eq!(c.top1.of, total);
            if total == 0 {
                proptest::prop_assert_eq!(c.half_of_commits, 0);
            } else {
                proptest::prop_assert!(top(c.half_of_commits) * 2 >= total);
                proptest::prop_assert!(top(c.half_of_commits - 1) * 2 < total);
            }
            proptest::prop_assert!(c.top1.matching <= c.top5.matching && c.top5.matching <= total);
        }
    }

    #[test]
    fn ages_fall_in_buckets_by_whole_days() {
        let day = 86_400;
        assert_eq!(AgeBucket::of_seconds(0), AgeBucket::UnderAWeek);
        assert_eq!(AgeBucket::of_seconds(7 * day - 1), AgeBucket::UnderAWeek);
        assert_eq!(AgeBucket::of_seconds(7 * day), AgeBucket::UnderAMonth);
        assert_eq!(AgeBucket::of_seconds(30 * day), AgeBucket::UnderAQuarter);
        assert_eq!(AgeBucket::of_seconds(90 * day), AgeBucket::UnderAYear);
        assert_eq!(AgeBucket::of_seconds(365 * day), AgeBucket::AYearOrMore);
    }
}

/// A report's address parameters, as pages and the API share them:
/// `r` (repeated: a repository's address or `forge:path`), `from` and `to`
/// (ISO days), and `bug`, `performance`, `bot` (repeated: patterns that
/// replace the installation's for that kind), and `person` (repeated:
/// accounts joined into one person, `Ada = github:ada gitlab:ada-l`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportParams {
    pub repositories: Vec<String>,
    pub people: Vec<PersonSpec>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub bug: Option<Vec<String>>,
    pub performance: Option<Vec<String>>,
    pub bots: Option<Vec<String>>,
}

/// A parameter that cannot be read: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub field: String,
    pub message: String,
}

impl ReportParams {
    /// The parameters it is read from.
    pub const NAMES: [&'static str; 7] = ["r", "from", "to", "bug", "performance", "bot", "person"];

    /// Reads a query string; `also` names further parameters the caller
    /// takes itself (`format`), and any other is an error naming it.
    pub fn from_query(query: &str, also: &[&str]) -> Result<Self, ParamError> {
        let mut params = Self::default();
        for (key, value) in crate::url::query_pairs(query) {
            let day = |field: &str| {
                NaiveDate::parse_from_str(&value, "%Y-%m-%d").map_err(|_| ParamError {
                    field: field.to_owned(),
                    message: format!("`{value}` is not a day (YYYY-MM-DD)"),
                })
            };
            // A form's textarea sends one value with a line per entry.
            let lines = || {
                value
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            };
            match key.as_str() {
                "r" => params.repositories.extend(lines()),
                "from" if value.is_empty() => {}
                "to" if value.is_empty() => {}
                "from" => params.from = Some(day("from")?),
                "to" => params.to = Some(day("to")?),
                "bug" => params.bug.get_or_insert_with(Vec::new).extend(lines()),
                "performance" => params
                    .performance
                    .get_or_insert_with(Vec::new)
                    .extend(lines()),
                "bot" => params.bots.get_or_insert_with(Vec::new).extend(lines()),
                "person" => params.people.extend(people(&value)?),
                // A form's unnamed control (Leptos's `<Form>` sends `=`).
                "" => {}
                other if also.contains(&other) => {}
                other => {
                    return Err(ParamError {
                        field: other.to_owned(),
                        message: format!(
                            "unknown parameter; a report takes {}",
                            Self::NAMES.join(", ")
                        ),
                    });
                }
            }
        }
        if params.people.len() > MOST_PEOPLE {
            return Err(ParamError {
                field: "person".to_owned(),
                message: format!(
                    "{} people; a report joins at most {MOST_PEOPLE}",
                    params.people.len()
                ),
            });
        }
        Ok(params)
    }

    /// The query string that gives these parameters back (without `?`).
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> =
            self.repositories.iter().map(|r| ("r", r.clone())).collect();
        pairs.extend(self.people.iter().map(|p| ("person", p.to_string())));
        pairs.extend(self.from.map(|d| ("from", d.to_string())));
        pairs.extend(self.to.map(|d| ("to", d.to_string())));
        for (key, list) in [
            ("bug", &self.bug),
            ("performance", &self.performance),
            ("bot", &self.bots),
        ] {
            match list.as_deref() {
                // No patterns at all is a choice too: an empty value keeps it
                // (without it, the address would give the defaults back).
                Some([]) => pairs.push((key, String::new())),
                list => pairs.extend(list.into_iter().flatten().map(|p| (key, p.clone()))),
            }
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::url::encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The patterns these parameters give, over `defaults` for the kinds
    /// they leave out; `None` when they give none.
    /// (A form sends the defaults back as they were shown: that is none.)
    pub fn patterns(&self, defaults: &ReportPatterns) -> Option<ReportPatterns> {
        let patterns = ReportPatterns {
            bug: self.bug.clone().unwrap_or_else(|| defaults.bug.clone()),
            performance: self
                .performance
                .clone()
                .unwrap_or_else(|| defaults.performance.clone()),
            bots: self.bots.clone().unwrap_or_else(|| defaults.bots.clone()),
        };
        (patterns != *defaults).then_some(patterns)
    }

    /// The days asked for, or the year up to `today`.
    pub fn range(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let to = self.to.unwrap_or(today);
        let from = self
            .from
            .unwrap_or_else(|| to - chrono::Duration::days(364));
        (from, to)
    }
}

/// The people in one `person` value (a form's textarea sends a line per
/// person), read as the query form reads its people field.
fn people(value: &str) -> Result<Vec<PersonSpec>, ParamError> {
    crate::query::parse_people(value).map_err(|e| ParamError {
        field: "person".to_owned(),
        message: e.message,
    })
}

#[cfg(test)]
mod params_tests {
    use super::*;

    #[test]
    fn parameters_round_trip_and_unknown_ones_are_named() {
        let query = "r=github%3Aa%2Fb&r=gitlab%3Ag%2Fp&from=2026-01-01&to=2026-03-31&bug=%5Ebug%24&bot=-bot%24&person=Ada%20%3D%20github%3Aada%20gitlab%3Aada-l";
        let params = ReportParams::from_query(query, &[]).unwrap();
        assert_eq!(params.repositories, ["github:a/b", "gitlab:g/p"]);
        assert_eq!(params.people[0].name.as_deref(), Some("Ada"));
        assert_eq!(params.people[0].accounts.len(), 2);
        assert_eq!(params.bug.as_deref(), Some(&["^bug$".to_owned()][..]));
        assert_eq!(
            ReportParams::from_query(&params.to_query(), &[]).unwrap(),
            params
        );
        let error = ReportParams::from_query("r=x&color=red", &[]).unwrap_err();
        assert_eq!(error.field, "color");
        let error = ReportParams::from_query("from=yesterday", &[]).unwrap_err();
        assert_eq!(error.field, "from");
        for person in ["Ada%20%3D", "Ada%20%3D%20hub%3Aada"] {
            let error = ReportParams::from_query(&format!("person={person}"), &[]).unwrap_err();
            assert_eq!(error.field, "person", "{}", error.message);
        }
        let many = "person=github%3Aa&".repeat(MOST_PEOPLE + 1);
        assert_eq!(
            ReportParams::from_query(&many, &[]).unwrap_err().field,
            "person"
        );
        assert!(ReportParams::from_query("format=csv", &["format"]).is_ok());
        assert_eq!(
            ReportParams::from_query("r=x&=", &[]).unwrap().repositories,
            ["x"]
        );
        // Patterns given replace only their kind.
        let patterns = params.patterns(&ReportPatterns::default()).unwrap();
        assert_eq!(patterns.bug, ["^bug$"]);
        assert_eq!(patterns.performance, ReportPatterns::default().performance);
        assert_eq!(
            ReportParams::default().patterns(&ReportPatterns::default()),
            None
        );
    }
}

impl Report {
    /// Every account counted, each person's in turn.
    pub fn accounts(&self) -> impl Iterator<Item = &AccountTally> {
        self.people.iter().flat_map(|p| &p.accounts)
    }

    /// The per-person table as CSV (RFC 4180), a header line first, then a
    /// line per account with the name of the person the address joins it
    /// into (empty when none). A cell that a spreadsheet would take for a
    /// formula is prefixed with `'`.
    pub fn people_csv(&self) -> String {
        let mut header = vec!["person", "forge", "instance", "account"];
        header.extend(TallyKind::ALL.iter().map(|k| k.key()));
        let mut out = header.join(",");
        out.push_str("\r\n");
        for person in &self.people {
            for a in &person.accounts {
                let mut cells = vec![
                    person.name.clone().unwrap_or_default(),
                    a.forge.key().to_owned(),
                    a.instance.clone(),
                    a.account.clone(),
                ];
                cells.extend(TallyKind::ALL.iter().map(|k| a.counts.get(*k).to_string()));
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
            }
        }
        out
    }
}

fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The acts one count of a report is made of: one kind, and optionally
/// some accounts' (one person's) and one week's. The items page and
/// `/api/v1/reports/items` take it as `kind`, `forge`, `instance`,
/// `account` and `week` beside the report's own parameters; `forge`,
/// `instance` and `account` repeat together for a person's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFilter {
    pub kind: TallyKind,
    /// Whose acts; none: everyone's.
    pub accounts: Vec<ItemPerson>,
    /// A Monday: the week a weekly count is of.
    pub week: Option<NaiveDate>,
}

/// An account as a report keys people; without an instance, that account
/// on every instance of the forge the report covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPerson {
    pub forge: Forge,
    pub instance: Option<String>,
    pub account: String,
}

impl ItemFilter {
    /// The parameters it is read from.
    pub const PARAMS: [&'static str; 5] = ["kind", "forge", "instance", "account", "week"];

    /// Reads the filter from a query string, ignoring every other parameter.
    pub fn from_query(query: &str) -> Result<Self, ParamError> {
        let pairs = crate::url::query_pairs(query);
        let values = |name: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(key, _)| key == name)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let problem = |field: &str, message: String| ParamError {
            field: field.to_owned(),
            message,
        };
        let kinds = || {
            TallyKind::ALL
                .iter()
                .map(|k| k.key())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let kind = match values("kind").first() {
            None => {
                return Err(problem(
                    "kind",
                    format!("name the kind of item: {}", kinds()),
                ));
            }
            Some(text) => TallyKind::from_key(text)
                .ok_or_else(|| problem("kind", format!("`{text}` is not one of {}", kinds())))?,
        };
        let (forges, names) = (values("forge"), values("account"));
        // Instances are given for every account or for none; an empty one
        // stands for an account on every instance.
        let instances: Vec<Option<String>> = pairs
            .iter()
            .filter(|(key, _)| key == "instance")
            .map(|(_, v)| Some(v.trim().to_owned()).filter(|v| !v.is_empty()))
            .collect();
        let instances = if instances.iter().all(Option::is_none) {
            Vec::new()
        } else {
            instances
        };
        if forges.len() != names.len() {
            let field = if forges.len() < names.len() {
                "forge"
            } else {
                "account"
            };
            return Err(problem(
                field,
                format!(
                    "{} forges for {} accounts: each account needs its forge",
                    forges.len(),
                    names.len()
                ),
            ));
        }
        if !instances.is_empty() && instances.len() != names.len() {
            return Err(problem(
                "instance",
                format!(
                    "{} instances for {} accounts: give each account its instance, or none",
                    instances.len(),
                    names.len()
                ),
            ));
        }
        if names.len() > crate::query::MAX_IDENTITIES {
            return Err(problem(
                "account",
                format!(
                    "{} accounts; a list takes at most {}",
                    names.len(),
                    crate::query::MAX_IDENTITIES
                ),
            ));
        }
        let accounts = forges
            .iter()
            .zip(names)
            .enumerate()
            .map(|(n, (forge, account))| {
                Ok(ItemPerson {
                    forge: Forge::from_key(forge).ok_or_else(|| {
                        problem(
                            "forge",
                            format!("`{forge}` is not a forge; use github, gitlab, bitbucket, gerrit or phabricator"),
                        )
                    })?,
                    instance: instances.get(n).cloned().flatten(),
                    account,
                })
            })
            .collect::<Result<Vec<_>, ParamError>>()?;
        let week = values("week")
            .first()
            .map(|text| {
                let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| problem("week", format!("`{text}` is not a day (YYYY-MM-DD)")))?;
                if day.weekday() == chrono::Weekday::Mon {
                    Ok(day)
                } else {
                    Err(problem(
                        "week",
                        format!("{day} is not a Monday (weeks start on Monday)"),
                    ))
                }
            })
            .transpose()?;
        Ok(Self {
            kind,
            accounts,
            week,
        })
    }

    /// The query string that gives this filter back (without `?`).
    pub fn to_query(&self) -> String {
        let mut pairs = vec![("kind", self.kind.key().to_owned())];
        let instances = self.accounts.iter().any(|a| a.instance.is_some());
        for person in &self.accounts {
            pairs.push(("forge", person.forge.key().to_owned()));
            if instances {
                pairs.push(("instance", person.instance.clone().unwrap_or_default()));
            }
            pairs.push(("account", person.account.clone()));
        }
        pairs.extend(self.week.map(|w| ("week", w.to_string())));
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::url::encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The address of the page listing the items behind one count of the
/// report `params` ask for.
pub fn items_href(params: &ReportParams, filter: &ItemFilter) -> String {
    format!("/reports/items?{}&{}", params.to_query(), filter.to_query())
}

/// One item behind a count: a commit, a pull request opened or merged, a
/// review, an issue opened or a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportItem {
    pub kind: TallyKind,
    pub forge: Forge,
    pub instance: String,
    /// The repository's path.
    pub repository: String,
    /// Who did it, as the report counts them.
    pub account: String,
    /// When it counts: authored, opened, merged, submitted or written.
    pub at: DateTime<Utc>,
    /// The commit's, pull request's or issue's title (for a review or a
    /// comment, that of what it is on).
    pub title: String,
    /// Its page on the forge.
    pub url: String,
}

#[cfg(test)]
mod item_filter_tests {
    use super::*;

    fn report_params() -> impl proptest::strategy::Strategy<Value = ReportParams> {
        use crate::strategies::{day, line, person_spec};
        use proptest::collection::vec;
        use proptest::strategy::Strategy;
        let patterns = || proptest::option::of(vec(line(), 0..3));
        (
            vec(line(), 0..3),
            vec(person_spec(), 0..3),
            proptest::option::of(day()),
            proptest::option::of(day()),
            (patterns(), patterns(), patterns()),
        )
            .prop_map(
                |(repositories, people, from, to, (bug, performance, bots))| ReportParams {
                    repositories,
                    people,
                    from,
                    to,
                    bug,
                    performance,
                    bots,
                },
            )
    }

    fn item_filter() -> impl proptest::strategy::Strategy<Value = ItemFilter> {
        use proptest::prelude::*;
        let person = (
            proptest::sample::select(Forge::ALL.to_vec()),
            proptest::option::of(crate::strategies::instance()),
            crate::strategies::line(),
        )
            .prop_map(|(forge, instance, account)| ItemPerson {
                forge,
                instance,
                account,
            });
        (
            proptest::sample::select(TallyKind::ALL.to_vec()),
            proptest::collection::vec(person, 0..4),
            proptest::option::of(crate::strategies::day()),
        )
            .prop_map(|(kind, accounts, day)| ItemFilter {
                kind,
                accounts,
                week: day.map(crate::period::monday_of),
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn report_parameters_go_to_the_address_and_back(params in report_params()) {
            proptest::prop_assert_eq!(ReportParams::from_query(&params.to_query(), &[]), Ok(params));
        }

        #[test]
        fn item_filters_go_to_the_address_and_back(params in report_params(), filter in item_filter()) {
            proptest::prop_assert_eq!(ItemFilter::from_query(&filter.to_query()), Ok(filter.clone()));
            // The items page reads both from one address.
            let href = items_href(&params, &filter);
            let query = href.split_once('?').map(|(_, q)| q).unwrap_or_default();
            proptest::prop_assert_eq!(ItemFilter::from_query(query), Ok(filter));
            proptest::prop_assert_eq!(ReportParams::from_query(query, &ItemFilter::PARAMS), Ok(params));
        }

        #[test]
        fn no_address_makes_report_parameters_panic(query in "\\PC{0,80}|([a-z]{1,8}=[^&]{0,12}&){0,5}") {
            if let Err(error) = ReportParams::from_query(&query, &[]) {
                proptest::prop_assert!(!error.field.is_empty() && !error.message.is_empty());
            }
            let _ = ItemFilter::from_query(&query);
        }
    }

    #[test]
    fn filters_round_trip_and_bad_ones_are_named() {
        let filter = ItemFilter {
            kind: TallyKind::Reviews,
            accounts: vec![
                ItemPerson {
                    forge: Forge::GitLab,
                    instance: Some("gitlab.example.org:8443".into()),
                    account: "Jane Doe".into(),
                },
                ItemPerson {
                    forge: Forge::GitHub,
                    instance: Some("github.com".into()),
                    account: "jane".into(),
                },
            ],
            week: NaiveDate::from_ymd_opt(2026, 3, 2),
        };
        assert_eq!(ItemFilter::from_query(&filter.to_query()), Ok(filter));
        for (query, field) in [
            ("", "kind"),
            ("kind=stars", "kind"),
            ("kind=commits&account=a", "forge"),
            ("kind=commits&forge=github", "account"),
            ("kind=commits&forge=git&account=a", "forge"),
            ("kind=commits&instance=x", "instance"),
            (
                "kind=commits&forge=github&forge=gitlab&account=a&account=b&instance=x",
                "instance",
            ),
            (
                "kind=commits&forge=github&forge=gitlab&account=a",
                "account",
            ),
            ("kind=commits&week=2026-03-03", "week"),
            ("kind=commits&week=soon", "week"),
        ] {
            let error = ItemFilter::from_query(query).unwrap_err();
            assert_eq!(error.field, field, "{query}: {}", error.message);
        }
    }
}
