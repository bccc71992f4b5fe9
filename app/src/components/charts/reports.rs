//! The ECharts options of a repository report's graphs: each person's
//! tallies as stacked bars, new and returning contributors per month, and
//! open issues by age. Every number in them is in the report's tables too.

use model::report::{AgeCount, MonthContributors, MonthKpis, PersonTally, TallyKind, WeekActivity};
use serde_json::{Value, json};

use super::options::TEXT;

/// People the bars name; the table lists everyone.
pub const PEOPLE: usize = 15;

/// One colour per kind of act, the same in every graph.
pub fn color(kind: TallyKind) -> &'static str {
    match kind {
        TallyKind::Commits => "#2f81f7",
        TallyKind::PullsOpened => "#8957e5",
        TallyKind::PullsMerged => "#1a7f37",
        TallyKind::Reviews => "#d29922",
        TallyKind::IssuesOpened => "#cf222e",
        TallyKind::IssueComments => "#e16f24",
    }
}

/// One stacked bar series per kind of act, `count` reading each bar's.
fn stacked<T>(items: &[&T], count: impl Fn(&T, TallyKind) -> u64) -> Vec<Value> {
    TallyKind::ALL
        .iter()
        .map(|kind| {
            let data: Vec<u64> = items.iter().map(|item| count(item, *kind)).collect();
            json!({ "type": "bar", "name": kind.label(), "stack": "all", "data": data,
                    "itemStyle": { "color": color(*kind) } })
        })
        .collect()
}

fn axis_label() -> Value {
    json!({ "color": TEXT, "hideOverlap": true })
}

/// The busiest people's tallies, stacked, busiest on top.
pub fn people(people: &[PersonTally]) -> Value {
    // A category axis draws its first entry at the bottom.
    let shown: Vec<&PersonTally> = people.iter().take(PEOPLE).rev().collect();
    let names: Vec<String> = shown.iter().map(|p| p.label()).collect();
    let series = stacked(&shown, |p, kind| p.counts.get(kind));
    json!({
        "tooltip": { "trigger": "axis", "axisPointer": { "type": "shadow" } },
        "legend": { "type": "scroll", "bottom": 0, "textStyle": { "color": TEXT } },
        "grid": { "left": 8, "right": 24, "top": 8, "bottom": 40, "containLabel": true },
        "xAxis": { "type": "value", "minInterval": 1, "axisLabel": axis_label() },
        "yAxis": { "type": "category", "data": names,
                   "axisLabel": { "color": TEXT, "width": 120, "overflow": "truncate" } },
        "series": series,
    })
}

/// Everyone's acts per week, stacked by kind.
pub fn weeks(weeks: &[WeekActivity]) -> Value {
    let labels: Vec<String> = weeks.iter().map(|w| w.week.to_string()).collect();
    let shown: Vec<&WeekActivity> = weeks.iter().collect();
    json!({
        "tooltip": { "trigger": "axis", "axisPointer": { "type": "shadow" } },
        "legend": { "type": "scroll", "bottom": 0, "textStyle": { "color": TEXT } },
        "grid": { "left": 8, "right": 8, "top": 8, "bottom": 40, "containLabel": true },
        "xAxis": { "type": "category", "data": labels, "axisLabel": axis_label() },
        "yAxis": { "type": "value", "minInterval": 1, "axisLabel": axis_label() },
        "series": stacked(&shown, |w, kind| w.counts.get(kind)),
    })
}

/// The median days to close and to a first response, per month, as lines
/// (a month without any is a gap).
pub fn trend(months: &[MonthKpis]) -> Value {
    let labels: Vec<&str> = months.iter().map(|m| m.month.as_str()).collect();
    // Tenths of a day; a span past i32's 68 years is shown as that.
    let days = |seconds: Option<i64>| {
        seconds.map(|s| (f64::from(i32::try_from(s).unwrap_or(i32::MAX)) / 8_640.0).round() / 10.0)
    };
    let close: Vec<Option<f64>> = months
        .iter()
        .map(|m| days(m.time_to_close.and_then(|d| d.median_seconds)))
        .collect();
    let first: Vec<Option<f64>> = months
        .iter()
        .map(|m| days(m.first_response.median_seconds))
        .collect();
    let bugs: Vec<Option<f64>> = months
        .iter()
        .map(|m| m.bug_share.percent().map(|p| (p * 10.0).round() / 10.0))
        .collect();
    json!({
        "tooltip": { "trigger": "axis" },
        "legend": { "bottom": 0, "textStyle": { "color": TEXT } },
        "grid": { "left": 8, "right": 8, "top": 24, "bottom": 40, "containLabel": true },
        "xAxis": { "type": "category", "data": labels, "axisLabel": axis_label() },
        "yAxis": [
            { "type": "value", "name": "days", "axisLabel": axis_label(), "nameTextStyle": { "color": TEXT } },
            { "type": "value", "name": "%", "max": 100, "axisLabel": axis_label(), "nameTextStyle": { "color": TEXT } },
        ],
        "series": [
            { "type": "line", "name": "Median time to close (days)", "data": close, "itemStyle": { "color": "#1a7f37" } },
            { "type": "line", "name": "Median first response (days)", "data": first, "itemStyle": { "color": "#2f81f7" } },
            { "type": "line", "name": "Bug share (%)", "yAxisIndex": 1, "data": bugs, "itemStyle": { "color": "#cf222e" } },
        ],
    })
}

/// New and returning contributors per month, stacked.
pub fn contributors(months: &[MonthContributors]) -> Value {
    let labels: Vec<&str> = months.iter().map(|m| m.month.as_str()).collect();
    let new: Vec<u64> = months.iter().map(|m| m.new).collect();
    let returning: Vec<u64> = months.iter().map(|m| m.returning).collect();
    json!({
        "tooltip": { "trigger": "axis", "axisPointer": { "type": "shadow" } },
        "legend": { "bottom": 0, "textStyle": { "color": TEXT } },
        "grid": { "left": 8, "right": 8, "top": 8, "bottom": 40, "containLabel": true },
        "xAxis": { "type": "category", "data": labels, "axisLabel": axis_label() },
        "yAxis": { "type": "value", "minInterval": 1, "axisLabel": axis_label() },
        "series": [
            { "type": "bar", "name": "New", "stack": "people", "data": new,
              "itemStyle": { "color": "#1a7f37" } },
            { "type": "bar", "name": "Returning", "stack": "people", "data": returning,
              "itemStyle": { "color": "#2f81f7" } },
        ],
    })
}

/// Issues per age bucket (open issues by age; closed ones by time to close).
pub fn ages(ages: &[AgeCount], name: &str, color: &str) -> Value {
    let labels: Vec<&str> = ages.iter().map(|a| a.age.label()).collect();
    let counts: Vec<u64> = ages.iter().map(|a| a.issues).collect();
    json!({
        "tooltip": { "trigger": "axis", "axisPointer": { "type": "shadow" } },
        "grid": { "left": 8, "right": 8, "top": 24, "bottom": 8, "containLabel": true },
        "xAxis": { "type": "category", "data": labels, "axisLabel": axis_label() },
        "yAxis": { "type": "value", "minInterval": 1, "axisLabel": axis_label() },
        "series": [{ "type": "bar", "name": name, "data": counts,
                     "itemStyle": { "color": color },
                     "label": { "show": true, "position": "top", "color": TEXT } }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::forge::Forge;

    fn person(account: &str, commits: u64, reviews: u64) -> PersonTally {
        let counts = model::report::Tallies {
            commits,
            reviews,
            ..Default::default()
        };
        PersonTally {
            name: None,
            accounts: vec![model::report::AccountTally {
                forge: Forge::GitHub,
                instance: "github.com".into(),
                account: account.into(),
                counts,
            }],
            counts,
        }
    }

    #[test]
    fn the_bars_stack_each_persons_tallies_busiest_on_top() {
        let option = people(&[person("a", 5, 1), person("b", 2, 0)]);
        assert_eq!(option["yAxis"]["data"], json!(["b", "a"]));
        assert_eq!(option["series"][0]["name"], "Commits");
        assert_eq!(option["series"][0]["data"], json!([2, 5]));
        assert_eq!(option["series"][3]["data"], json!([0, 1]));
        let many: Vec<PersonTally> = (0..40).map(|n| person(&format!("p{n}"), 1, 0)).collect();
        assert_eq!(
            people(&many)["yAxis"]["data"].as_array().unwrap().len(),
            PEOPLE
        );
    }
}
