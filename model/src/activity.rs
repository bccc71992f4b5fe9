//! The day-by-day counts behind a query's graphs, and the views the graphs
//! draw from them: days, weeks, repositories and forges. Every view sums the
//! same counts, so the graphs agree with the tallies and with each other.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::contribution::ContributionKind;
use crate::forge::Forge;
use crate::period::monday_of;

/// A query's items counted per day, person, forge and kind, and per repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// First and last UTC day of the query.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// People's names, in the query's order.
    pub people: Vec<String>,
    pub series: Vec<DaySeries>,
    /// Most items first.
    pub repositories: Vec<RepositoryCount>,
    /// The days each person's counts are missing on, because one of their
    /// accounts is not fetched for them (not yet, or its forge failed).
    /// Those days count what is known so far, never a full zero.
    pub unfetched: Vec<Unfetched>,
}

/// Days one person's counts are incomplete on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfetched {
    /// Index into [`Activity::people`].
    pub person: usize,
    /// Inclusive runs `(first, last)` of days after `from`, in order,
    /// neither overlapping nor touching.
    pub days: Vec<(u32, u32)>,
}

/// The days with items of one person's kind of contribution on one forge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySeries {
    /// Index into [`Activity::people`].
    pub person: usize,
    pub forge: Forge,
    pub kind: ContributionKind,
    /// `(days after from, count)`, in day order; days without items are left
    /// out, which keeps a sparse year small on the wire.
    pub days: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryCount {
    pub forge: Forge,
    pub repository: String,
    pub count: u64,
}

/// One day's count of one person's kind on one forge, as the store reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub person: usize,
    pub forge: Forge,
    pub kind: ContributionKind,
    pub day: NaiveDate,
    pub count: u64,
}

/// What the top repositories leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Others {
    pub repositories: usize,
    pub items: u64,
}

impl Activity {
    /// Gathers counts (in any order, the same key possibly more than once,
    /// as when a person has two accounts on one forge) into series.
    pub fn gather(
        from: NaiveDate,
        to: NaiveDate,
        people: Vec<String>,
        counts: impl IntoIterator<Item = DayCount>,
        mut repositories: Vec<RepositoryCount>,
    ) -> Self {
        let mut grouped: BTreeMap<(usize, Forge, ContributionKind), BTreeMap<u32, u64>> =
            BTreeMap::new();
        for c in counts.into_iter().filter(|c| c.day >= from && c.day <= to) {
            let offset = u32::try_from((c.day - from).num_days()).unwrap_or(u32::MAX);
            *grouped
                .entry((c.person, c.forge, c.kind))
                .or_default()
                .entry(offset)
                .or_default() += c.count;
        }
        let series = grouped
            .into_iter()
            .map(|((person, forge, kind), days)| DaySeries {
                person,
                forge,
                kind,
                days: days
                    .into_iter()
                    .map(|(d, n)| (d, u32::try_from(n).unwrap_or(u32::MAX)))
                    .collect(),
            })
            .collect();
        repositories.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (a.forge, &a.repository).cmp(&(b.forge, &b.repository)))
        });
        Self {
            from,
            to,
            people,
            series,
            repositories,
            unfetched: Vec::new(),
        }
    }

    /// Marks the days (inclusive runs, in any order, possibly overlapping
    /// when a person has several accounts) on which a person's counts are
    /// incomplete. Days outside the range are ignored.
    #[must_use]
    pub fn with_unfetched(
        mut self,
        runs: impl IntoIterator<Item = (usize, NaiveDate, NaiveDate)>,
    ) -> Self {
        let mut by_person: BTreeMap<usize, Vec<(u32, u32)>> = BTreeMap::new();
        for (person, first, last) in runs {
            let (first, last) = (first.max(self.from), last.min(self.to));
            if first <= last {
                by_person
                    .entry(person)
                    .or_default()
                    .push((self.offset(first), self.offset(last)));
            }
        }
        self.unfetched = by_person
            .into_iter()
            .map(|(person, runs)| Unfetched {
                person,
                days: merged(runs),
            })
            .collect();
        self
    }

    fn offset(&self, day: NaiveDate) -> u32 {
        u32::try_from((day - self.from).num_days()).unwrap_or(u32::MAX)
    }

    /// Whether every count is complete: no day of anyone is unfetched.
    pub fn complete(&self) -> bool {
        self.unfetched.iter().all(|u| u.days.is_empty())
    }

    /// The days whose counts are incomplete for one person or (`None`)
    /// anyone, as inclusive runs of dates in order.
    pub fn unfetched_runs(&self, person: Option<usize>) -> Vec<(NaiveDate, NaiveDate)> {
        let runs = self
            .unfetched
            .iter()
            .filter(|u| person.is_none_or(|p| p == u.person))
            .flat_map(|u| u.days.iter().copied())
            .collect();
        merged(runs)
            .into_iter()
            .map(|(first, last)| (self.day(first), self.day(last)))
            .collect()
    }

    /// How many days from `first` to `last` (inclusive) each person's
    /// counts are incomplete on, for the people with any.
    pub fn unfetched_between(&self, first: NaiveDate, last: NaiveDate) -> Vec<(usize, u32)> {
        (0..self.people.len())
            .filter_map(|person| {
                let days: i64 = self
                    .unfetched_runs(Some(person))
                    .into_iter()
                    .map(|(a, b)| (b.min(last) - a.max(first)).num_days() + 1)
                    .filter(|n| *n > 0)
                    .sum();
                (days > 0).then(|| (person, u32::try_from(days).unwrap_or(u32::MAX)))
            })
            .collect()
    }

    /// Days with incomplete counts per week (in [`Activity::weeks`] order),
    /// for one person or (`None`) anyone.
    pub fn unfetched_by_week(&self, person: Option<usize>) -> Vec<u32> {
        let first = monday_of(self.from);
        let mut weeks = vec![0; self.weeks().len()];
        for (a, b) in self.unfetched_runs(person) {
            let mut day = a;
            while day <= b {
                let week = usize::try_from((day - first).num_days() / 7).unwrap_or(0);
                if let Some(days) = weeks.get_mut(week) {
                    *days += 1;
                }
                day += Duration::days(1);
            }
        }
        weeks
    }

    fn day(&self, offset: u32) -> NaiveDate {
        self.from + Duration::days(i64::from(offset))
    }

    /// Every (series, day, count), with the day as a date.
    fn counts(&self) -> impl Iterator<Item = (&DaySeries, NaiveDate, u64)> {
        self.series.iter().flat_map(move |s| {
            s.days
                .iter()
                .map(move |&(offset, n)| (s, self.day(offset), u64::from(n)))
        })
    }

    pub fn total(&self) -> u64 {
        self.counts().map(|(_, _, n)| n).sum()
    }

    /// Items per day with any, for one person or (`None`) everyone.
    pub fn day_totals(&self, person: Option<usize>) -> BTreeMap<NaiveDate, u64> {
        let mut totals = BTreeMap::new();
        for (s, day, n) in self.counts() {
            if person.is_none_or(|p| p == s.person) {
                *totals.entry(day).or_default() += n;
            }
        }
        totals
    }

    /// Items from `first` to `last` (inclusive days), for everyone.
    pub fn total_between(&self, first: NaiveDate, last: NaiveDate) -> u64 {
        self.counts()
            .filter(|(_, day, _)| (first..=last).contains(day))
            .map(|(_, _, n)| n)
            .sum()
    }

    /// The calendar years the range touches.
    pub fn years(&self) -> Vec<i32> {
        (self.from.year()..=self.to.year()).collect()
    }

    /// The Monday of every ISO week the range touches; the first and last
    /// weeks count only their days inside the range.
    pub fn weeks(&self) -> Vec<NaiveDate> {
        let last = monday_of(self.to);
        std::iter::successors(Some(monday_of(self.from)), |monday| {
            Some(*monday + Duration::days(7)).filter(|next| *next <= last)
        })
        .collect()
    }

    fn weekly<K: Ord>(&self, key: impl Fn(&DaySeries) -> K) -> BTreeMap<K, Vec<u64>> {
        let first = monday_of(self.from);
        let weeks = self.weeks().len();
        let mut grouped: BTreeMap<K, Vec<u64>> = BTreeMap::new();
        for (s, day, n) in self.counts() {
            let week = usize::try_from((day - first).num_days() / 7).unwrap_or(0);
            grouped.entry(key(s)).or_insert_with(|| vec![0; weeks])[week] += n;
        }
        grouped
    }

    /// Items per week (in [`Activity::weeks`] order) of each kind with any.
    pub fn weekly_by_kind(&self) -> Vec<(ContributionKind, Vec<u64>)> {
        self.weekly(|s| s.kind).into_iter().collect()
    }

    /// Items per week of every person, in the query's order (zeros included,
    /// so nobody silently drops out of a comparison).
    pub fn weekly_by_person(&self) -> Vec<(String, Vec<u64>)> {
        let mut weekly = self.weekly(|s| s.person);
        let weeks = self.weeks().len();
        self.people
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let counts = weekly.remove(&i).unwrap_or_else(|| vec![0; weeks]);
                (name.clone(), counts)
            })
            .collect()
    }

    /// Items per forge, most first.
    pub fn by_forge(&self) -> Vec<(Forge, u64)> {
        let mut totals: BTreeMap<Forge, u64> = BTreeMap::new();
        for (s, _, n) in self.counts() {
            *totals.entry(s.forge).or_default() += n;
        }
        let mut totals: Vec<_> = totals.into_iter().collect();
        totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        totals
    }

    /// The `n` repositories with the most items, and what the rest add up to.
    pub fn top_repositories(&self, n: usize) -> (&[RepositoryCount], Others) {
        let top = &self.repositories[..n.min(self.repositories.len())];
        let rest = &self.repositories[top.len()..];
        let others = Others {
            repositories: rest.len(),
            items: rest.iter().map(|r| r.count).sum(),
        };
        (top, others)
    }
}

/// Inclusive runs sorted, with overlapping and touching ones joined.
fn merged(mut runs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    runs.sort_unstable();
    let mut joined: Vec<(u32, u32)> = Vec::with_capacity(runs.len());
    for (first, last) in runs {
        match joined.last_mut() {
            Some((_, end)) if first <= end.saturating_add(1) => *end = (*end).max(last),
            _ => joined.push((first, last)),
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContributionKind::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn count(person: usize, forge: Forge, kind: ContributionKind, on: &str, n: u64) -> DayCount {
        DayCount {
            person,
            forge,
            kind,
            day: day(on),
            count: n,
        }
    }

    fn repo(forge: Forge, name: &str, count: u64) -> RepositoryCount {
        RepositoryCount {
            forge,
            repository: name.into(),
            count,
        }
    }

    /// Two people over 2025-12-30 (a Tuesday) to 2026-01-12.
    fn activity() -> Activity {
        Activity::gather(
            day("2025-12-30"),
            day("2026-01-12"),
            vec!["Ann".into(), "Bo".into(), "Cy".into()],
            [
                count(0, Forge::GitHub, Commit, "2025-12-30", 2),
                count(0, Forge::GitHub, Commit, "2026-01-05", 1),
                // A second GitHub account of Ann's on the same day adds up.
                count(0, Forge::GitHub, Commit, "2026-01-05", 3),
                count(0, Forge::GitLab, Review, "2026-01-01", 1),
                count(1, Forge::GitHub, IssueOpened, "2026-01-12", 5),
                // Outside the range: ignored.
                count(1, Forge::GitHub, IssueOpened, "2026-01-13", 9),
            ],
            vec![
                repo(Forge::GitHub, "a/small", 2),
                repo(Forge::GitHub, "a/big", 9),
                repo(Forge::GitLab, "g/mid", 1),
            ],
        )
    }

    #[test]
    fn every_view_adds_up_to_the_same_total() {
        let a = activity();
        assert_eq!(a.total(), 12);
        assert_eq!(a.day_totals(None).values().sum::<u64>(), 12);
        let by_kind: u64 = a.weekly_by_kind().iter().flat_map(|(_, w)| w).sum();
        let by_person: u64 = a.weekly_by_person().iter().flat_map(|(_, w)| w).sum();
        let by_forge: u64 = a.by_forge().iter().map(|(_, n)| n).sum();
        assert_eq!((by_kind, by_person, by_forge), (12, 12, 12));
    }

    #[test]
    fn days_sum_accounts_and_split_people() {
        let a = activity();
        assert_eq!(a.day_totals(None)[&day("2026-01-05")], 4);
        assert_eq!(a.day_totals(Some(1)).len(), 1);
        assert_eq!(a.day_totals(Some(1))[&day("2026-01-12")], 5);
        assert!(a.day_totals(Some(2)).is_empty());
        assert_eq!(a.total_between(day("2026-01-05"), day("2026-01-11")), 4);
        assert_eq!(a.total_between(day("2025-12-30"), day("2026-01-12")), 12);
    }

    #[test]
    fn weeks_are_iso_weeks_clipped_to_the_range() {
        let a = activity();
        assert_eq!(
            a.weeks(),
            vec![day("2025-12-29"), day("2026-01-05"), day("2026-01-12")]
        );
        let by_kind = a.weekly_by_kind();
        assert_eq!(by_kind[0], (Commit, vec![2, 4, 0]));
        assert_eq!(
            by_kind.iter().find(|(k, _)| *k == Review).unwrap().1,
            vec![1, 0, 0]
        );
        let by_person = a.weekly_by_person();
        assert_eq!(by_person[1], ("Bo".to_owned(), vec![0, 0, 5]));
        assert_eq!(by_person[2], ("Cy".to_owned(), vec![0, 0, 0]));
        assert_eq!(a.years(), vec![2025, 2026]);
    }

    #[test]
    fn repositories_and_forges_come_most_first() {
        let a = activity();
        assert_eq!(a.by_forge(), vec![(Forge::GitHub, 11), (Forge::GitLab, 1)]);
        let (top, others) = a.top_repositories(2);
        assert_eq!(top[0].repository, "a/big");
        assert_eq!(top[1].repository, "a/small");
        assert_eq!(
            others,
            Others {
                repositories: 1,
                items: 1
            }
        );
        assert_eq!(a.top_repositories(10).1, Others::default());
    }

    #[test]
    fn unfetched_days_join_across_accounts_and_stay_in_the_range() {
        let a = activity().with_unfetched([
            // Two accounts of Ann's: overlapping and touching runs join.
            (0, day("2026-01-02"), day("2026-01-04")),
            (0, day("2026-01-03"), day("2026-01-05")),
            (0, day("2026-01-06"), day("2026-01-06")),
            // Bo: one day before the range is cut off.
            (1, day("2025-12-29"), day("2025-12-31")),
            (1, day("2026-01-12"), day("2026-01-20")),
        ]);
        assert!(!a.complete());
        assert!(activity().complete());
        assert_eq!(
            a.unfetched_runs(Some(0)),
            vec![(day("2026-01-02"), day("2026-01-06"))]
        );
        assert_eq!(
            a.unfetched_runs(None),
            vec![
                (day("2025-12-30"), day("2025-12-31")),
                (day("2026-01-02"), day("2026-01-06")),
                (day("2026-01-12"), day("2026-01-12")),
            ]
        );
        assert!(a.unfetched_runs(Some(2)).is_empty());
        // Weeks of 2025-12-29, 2026-01-05 and 2026-01-12.
        assert_eq!(a.unfetched_by_week(None), vec![5, 2, 1]);
        assert_eq!(a.unfetched_by_week(Some(1)), vec![2, 0, 1]);
        assert_eq!(
            a.unfetched_between(day("2026-01-05"), day("2026-01-12")),
            vec![(0, 2), (1, 1)]
        );
        assert!(
            a.unfetched_between(day("2026-01-07"), day("2026-01-11"))
                .is_empty()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        /// Joined runs hold exactly the days of the runs given, per week too.
        #[test]
        fn unfetched_runs_hold_exactly_the_days_given(
            runs in proptest::collection::vec((0usize..3, 0i64..40, 0i64..12), 0..8)
        ) {
            let from = day("2025-12-30");
            let to = day("2026-01-29");
            let runs: Vec<_> = runs
                .into_iter()
                .map(|(p, start, len)| {
                    let first = from + Duration::days(start - 5);
                    (p, first, first + Duration::days(len))
                })
                .collect();
            let a = Activity::gather(from, to, vec!["A".into(), "B".into(), "C".into()], [], vec![])
                .with_unfetched(runs.clone());
            let given: std::collections::BTreeSet<NaiveDate> = runs
                .iter()
                .flat_map(|&(_, first, last)| first.iter_days().take_while(move |d| *d <= last))
                .filter(|d| (from..=to).contains(d))
                .collect();
            let joined = a.unfetched_runs(None);
            let held: std::collections::BTreeSet<NaiveDate> = joined
                .iter()
                .flat_map(|&(first, last)| first.iter_days().take_while(move |d| *d <= last))
                .collect();
            proptest::prop_assert_eq!(&held, &given);
            // Neither overlapping nor touching.
            for pair in joined.windows(2) {
                proptest::prop_assert!(pair[0].1 + Duration::days(1) < pair[1].0);
            }
            let weekly: u32 = a.unfetched_by_week(None).iter().sum();
            proptest::prop_assert_eq!(weekly as usize, given.len());
            proptest::prop_assert_eq!(a.complete(), given.is_empty());
        }
    }

    #[test]
    fn a_sparse_year_stays_small_on_the_wire() {
        let json = serde_json::to_string(&activity()).unwrap();
        let back: Activity = serde_json::from_str(&json).unwrap();
        assert_eq!(back, activity());
        assert!(json.len() < 700, "{} bytes: {json}", json.len());
    }
}
