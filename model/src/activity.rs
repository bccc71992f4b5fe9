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
        }
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
    fn a_sparse_year_stays_small_on_the_wire() {
        let json = serde_json::to_string(&activity()).unwrap();
        let back: Activity = serde_json::from_str(&json).unwrap();
        assert_eq!(back, activity());
        assert!(json.len() < 700, "{} bytes: {json}", json.len());
    }
}
