//! The stretch of days a drill-down opens: one UTC day (`2026-03-04`) or
//! one ISO week (`2026-W10`, Monday to Sunday).

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The years a period may fall in: forges keep nothing older, and the
/// calendar's arithmetic has room to spare around them.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    Day(NaiveDate),
    /// The ISO week that holds this Monday.
    Week(NaiveDate),
}

impl Period {
    /// The ISO week a day falls in.
    pub fn week_of(day: NaiveDate) -> Self {
        Self::Week(monday_of(day))
    }

    /// Reads `YYYY-MM-DD` or `YYYY-Www` of the years [`YEARS`]; the
    /// message names what is wrong. (Days far out of that range would
    /// overflow the calendar's arithmetic further on.)
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let period = Self::parse_any_year(text)?;
        // The year it is written with: the week of 1970-01-01 starts in 1969.
        let year = period.year();
        if YEARS.contains(&year) {
            Ok(period)
        } else {
            Err(format!(
                "`{text}` is outside the years {} to {}",
                YEARS.start(),
                YEARS.end()
            ))
        }
    }

    fn year(self) -> i32 {
        match self {
            Self::Day(day) => day.year(),
            Self::Week(monday) => monday.iso_week().year(),
        }
    }

    fn parse_any_year(text: &str) -> Result<Self, String> {
        if let Some((year, week)) = text.split_once("-W") {
            let monday = year
                .parse()
                .ok()
                .zip(week.parse().ok())
                .and_then(|(y, w)| NaiveDate::from_isoywd_opt(y, w, Weekday::Mon));
            return monday
                .map(Self::Week)
                .ok_or_else(|| format!("`{text}` is not an ISO week such as 2026-W10"));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Self::Day)
            .map_err(|_| format!("`{text}` is not a day (2026-03-04) or a week (2026-W10)"))
    }

    /// First and last day, inclusive.
    pub fn bounds(self) -> (NaiveDate, NaiveDate) {
        match self {
            Self::Day(day) => (day, day),
            Self::Week(monday) => (monday, monday + Duration::days(6)),
        }
    }

    /// The part of the period inside `from..=to`, if any.
    pub fn within(self, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let (first, last) = self.bounds();
        let (first, last) = (first.max(from), last.min(to));
        (first <= last).then_some((first, last))
    }

    /// The page that lists the period's items of query `hash`.
    pub fn href(self, hash: &str) -> String {
        match self {
            Self::Day(_) => format!("/q/{hash}/day/{self}"),
            Self::Week(_) => format!("/q/{hash}/week/{self}"),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Day(day) => write!(f, "{day}"),
            Self::Week(monday) => {
                let week = monday.iso_week();
                write!(f, "{}-W{:02}", week.year(), week.week())
            }
        }
    }
}

/// The Monday that starts `day`'s ISO week.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn a_day_reads_back_what_it_writes(day in crate::strategies::day()) {
            proptest::prop_assert_eq!(Period::parse(&Period::Day(day).to_string()), Ok(Period::Day(day)));
        }

        #[test]
        fn the_week_of_a_day_holds_it_and_reads_back(day in crate::strategies::day()) {
            let week = Period::week_of(day);
            let (monday, sunday) = week.bounds();
            proptest::prop_assert!(monday <= day && day <= sunday);
            proptest::prop_assert_eq!(monday.weekday(), Weekday::Mon);
            proptest::prop_assert_eq!(sunday - monday, Duration::days(6));
            proptest::prop_assert_eq!(Period::parse(&week.to_string()), Ok(week));
        }

        #[test]
        fn no_text_makes_a_period_panic(text in "\\PC{0,24}|[+-]?[0-9]{1,7}-W[0-9]{1,3}|[+-]?[0-9]{1,7}-[0-9]{1,2}-[0-9]{1,2}") {
            if let Ok(period) = Period::parse(&text) {
                // What reads is within the calendar's reach.
                let (first, last) = period.bounds();
                proptest::prop_assert!(first <= last);
            }
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn periods_past_the_calendar_are_refused_not_overflowed() {
        for text in [
            "262143-W01",
            "262142-W52",
            "+262142-12-31",
            "10000-01-01",
            "1969-W10",
            "1969-12-31",
            "0001-01-01",
        ] {
            let refused = Period::parse(text).unwrap_err();
            assert!(refused.contains(text), "{refused}");
        }
        let (_, last) = Period::parse("9999-W52").unwrap().bounds();
        assert!(
            last.year() <= 10_000,
            "the last week of 9999 ends without overflow"
        );
    }

    #[test]
    fn days_and_weeks_read_back_what_they_write() {
        for text in ["2026-03-04", "2026-W10", "2020-W53", "2027-W01", "1970-W01"] {
            assert_eq!(Period::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn a_week_runs_monday_to_sunday_across_a_year_end() {
        // 2026-W01 starts on Monday 2025-12-29.
        let week = Period::parse("2026-W01").unwrap();
        assert_eq!(week.bounds(), (day("2025-12-29"), day("2026-01-04")));
        assert_eq!(Period::week_of(day("2026-01-01")), week);
        assert_eq!(Period::week_of(day("2025-12-29")), week);
        assert_eq!(Period::week_of(day("2026-01-05")).to_string(), "2026-W02");
    }

    #[test]
    fn a_period_is_clipped_to_the_query_range() {
        let week = Period::parse("2026-W01").unwrap();
        assert_eq!(
            week.within(day("2026-01-01"), day("2026-12-31")),
            Some((day("2026-01-01"), day("2026-01-04")))
        );
        assert_eq!(week.within(day("2026-02-01"), day("2026-12-31")), None);
    }

    #[test]
    fn nonsense_is_named() {
        for text in ["2026-W54", "2026-W", "yesterday", "2026-02-30"] {
            let error = Period::parse(text).unwrap_err();
            assert!(error.contains(text), "{error}");
        }
    }

    #[test]
    fn links_name_the_period() {
        let hash = "abc";
        assert_eq!(
            Period::Day(day("2026-03-04")).href(hash),
            "/q/abc/day/2026-03-04"
        );
        assert_eq!(
            Period::week_of(day("2026-03-04")).href(hash),
            "/q/abc/week/2026-W10"
        );
    }
}
