//! The ECharts options of a query's graphs, built with charming from an
//! [`Activity`]. Each builder returns the option as JSON: the browser hands
//! it to ECharts as is, and tests read the numbers back out of it.
//!
//! A few ECharts settings that charming 0.6 cannot express (or serializes
//! wrongly, like `calendar.cellSize`) are set on the JSON afterwards.

use charming::Chart;
use charming::component::{Axis, Calendar, Grid, Legend, VisualMap};
use charming::datatype::{CompositeValue, DataPoint};
use charming::element::{
    AxisPointer, AxisPointerType, AxisType, CoordinateSystem, ItemStyle, Orient, Tooltip, Trigger,
};
use charming::series::{Bar, Heatmap, Pie};
use chrono::NaiveDate;
use model::activity::Activity;
use model::contribution::ContributionKind;
use model::forge::Forge;
use serde_json::{Value, json};

/// Axis and label text, readable on the light and the dark theme alike.
pub const TEXT: &str = "#8a8f98";
/// A calendar day's square, in pixels: big enough to tap on a phone.
pub const CELL: u32 = 16;
/// How many repositories the bar chart names.
pub const TOP_REPOSITORIES: usize = 10;
/// Days not fetched: a dashed grey ghost, unlike any count's colour.
const UNFETCHED: &str = "rgba(140,140,140,0.45)";
/// How a count that misses days is drawn: faded, since it is a floor.
const PARTIAL_OPACITY: f64 = 0.45;

/// One colour per kind, so a kind keeps its colour whatever the filters show.
fn kind_color(kind: ContributionKind) -> &'static str {
    match kind {
        ContributionKind::Commit => "#2f81f7",
        ContributionKind::PullRequestOpened => "#8957e5",
        ContributionKind::PullRequestMerged => "#1a7f37",
        ContributionKind::Review => "#d29922",
        ContributionKind::IssueOpened => "#cf222e",
        ContributionKind::IssueComment => "#e16f24",
        ContributionKind::GerritChange => "#0f9fa8",
        ContributionKind::PhabricatorTask => "#bf3989",
        ContributionKind::DifferentialRevision => "#6e7781",
    }
}

fn forge_color(forge: Forge) -> &'static str {
    match forge {
        Forge::GitHub => "#57606a",
        Forge::GitLab => "#fc6d26",
        Forge::Bitbucket => "#2684ff",
        Forge::Gerrit => "#3a9e6f",
        Forge::Phabricator => "#a06bc9",
    }
}

pub(super) fn number(n: u64) -> CompositeValue {
    CompositeValue::from(i64::try_from(n).unwrap_or(i64::MAX))
}

pub(super) fn to_json(chart: &Chart) -> Value {
    // Charming's types are plain data; serializing them cannot fail.
    serde_json::to_value(chart).unwrap_or(Value::Null)
}

/// The query's days inside `year`.
pub fn year_bounds(activity: &Activity, year: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(activity.from);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(activity.to);
    (first.max(activity.from), last.min(activity.to))
}

/// How many week columns a year's calendar has, to size its box.
pub fn calendar_weeks(activity: &Activity, year: i32) -> u32 {
    let (first, last) = year_bounds(activity, year);
    let monday = model::period::monday_of(first);
    u32::try_from((last - monday).num_days() / 7 + 1).unwrap_or(53)
}

/// The heatmap of one year: items per day of one person or (`None`)
/// everyone. Colours run to the busiest day of the whole range, so years
/// compare.
pub fn calendar(activity: &Activity, person: Option<usize>, year: i32) -> Value {
    let totals = activity.day_totals(person);
    let busiest = totals.values().copied().max().unwrap_or(0).max(1);
    let (first, last) = year_bounds(activity, year);
    let data: Vec<Vec<DataPoint>> = totals
        .range(first..=last)
        .map(|(day, n)| {
            vec![
                DataPoint::from(day.to_string()),
                DataPoint::from(number(*n)),
            ]
        })
        .collect();
    let chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .visual_map(
            VisualMap::new()
                .min(1)
                .max(f64::from(u32::try_from(busiest).unwrap_or(u32::MAX)))
                .calculable(false)
                .orient(Orient::Horizontal)
                .left(36)
                .bottom(0)
                .color(vec!["#0e4429", "#26a641", "#9be9a8"]),
        )
        .calendar(
            Calendar::new()
                .range((first.to_string(), last.to_string()))
                .orient(Orient::Horizontal)
                .top(24)
                .left(36),
        )
        .series(
            Heatmap::new()
                .name("Contributions")
                .coordinate_system(CoordinateSystem::Calendar)
                .data(data),
        );
    let mut option = to_json(&chart);
    // Named by their day, points get a tooltip that says the day and its count.
    if let Some(points) = option["series"][0]["data"].as_array_mut() {
        for point in points {
            let day = point[0].clone();
            *point = json!({ "name": day, "value": point.take() });
        }
    }
    option["calendar"]["cellSize"] = json!([CELL, CELL]);
    option["calendar"]["dayLabel"] = json!({ "firstDay": 1, "color": TEXT, "nameMap": "en" });
    option["calendar"]["monthLabel"] = json!({ "color": TEXT });
    option["calendar"]["yearLabel"] = json!({ "show": false });
    option["calendar"]["itemStyle"] =
        json!({ "color": "rgba(128,128,128,0.08)", "borderColor": "rgba(128,128,128,0.35)" });
    option["calendar"]["splitLine"] = json!({ "lineStyle": { "color": "rgba(128,128,128,0.6)" } });
    option["visualMap"][0]["text"] = json!([busiest.to_string(), "1"]);
    option["visualMap"][0]["textStyle"] = json!({ "color": TEXT });
    mark_unfetched_days(&mut option, activity, person, (first, last));
    option
}

/// Draws the days whose counts miss an account over the calendar, so a
/// day not fetched never passes for a day without items; its count so far
/// is in the tooltip.
fn mark_unfetched_days(
    option: &mut Value,
    activity: &Activity,
    person: Option<usize>,
    (first, last): (NaiveDate, NaiveDate),
) {
    let totals = activity.day_totals(person);
    let days: Vec<Value> = activity
        .unfetched_runs(person)
        .into_iter()
        .flat_map(|(a, b)| {
            a.max(first)
                .iter_days()
                .take_while(move |d| *d <= b.min(last))
        })
        .map(|day| {
            let so_far = totals.get(&day).copied().unwrap_or(0);
            json!({
                "name": format!("{day}: not fetched, counted so far"),
                "value": [day.to_string(), so_far],
            })
        })
        .collect();
    if days.is_empty() {
        return;
    }
    // The colour scale is the counts' alone.
    option["visualMap"][0]["seriesIndex"] = json!(0);
    if let Some(series) = option["series"].as_array_mut() {
        series.push(json!({
            "type": "heatmap",
            "name": "Not fetched",
            "coordinateSystem": "calendar",
            "data": days,
            "itemStyle": { "color": UNFETCHED, "borderColor": TEXT, "borderType": "dashed", "borderWidth": 1 },
        }));
    }
}

/// Which stacks the weekly bars show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeeklyBy {
    /// One stacked bar per week, a layer per kind.
    Kind,
    /// Side by side bars per week, one per person.
    Person,
}

fn bar_axes(chart: Chart, categories: Vec<String>) -> Chart {
    chart
        .grid(
            Grid::new()
                .left(8)
                .right(8)
                .top(48)
                .bottom(8)
                .contain_label(true),
        )
        .x_axis(Axis::new().type_(AxisType::Category).data(categories))
        .y_axis(Axis::new().type_(AxisType::Value).min_interval(1))
}

/// Items per ISO week, stacked by kind or side by side per person.
pub fn weekly(activity: &Activity, by: WeeklyBy) -> Value {
    let weeks: Vec<String> = activity.weeks().iter().map(ToString::to_string).collect();
    let mut chart = bar_axes(
        Chart::new()
            .tooltip(
                Tooltip::new()
                    .trigger(Trigger::Axis)
                    .axis_pointer(AxisPointer::new().type_(AxisPointerType::Shadow)),
            )
            .legend(Legend::new().top(0)),
        weeks,
    );
    match by {
        WeeklyBy::Kind => {
            for (kind, counts) in activity.weekly_by_kind() {
                chart = chart.series(
                    Bar::new()
                        .name(kind.label())
                        .stack("items")
                        .item_style(ItemStyle::new().color(kind_color(kind)))
                        .data(counts.into_iter().map(number).collect()),
                );
            }
        }
        WeeklyBy::Person => {
            for (name, counts) in activity.weekly_by_person() {
                chart = chart.series(
                    Bar::new()
                        .name(name)
                        .data(counts.into_iter().map(number).collect()),
                );
            }
        }
    }
    let mut option = to_json(&chart);
    option["legend"]["textStyle"] = json!({ "color": TEXT });
    option["legend"]["type"] = json!("scroll");
    option["xAxis"]["axisLabel"] = json!({ "color": TEXT });
    option["yAxis"]["axisLabel"] = json!({ "color": TEXT });
    mark_unfetched_weeks(&mut option, activity, by);
    option
}

/// Fades each count of a week that misses days (it is a floor, not the
/// count), and adds how many days of each week are not fetched, on an
/// axis of its own, so a week not fetched never passes for a quiet one.
fn mark_unfetched_weeks(option: &mut Value, activity: &Activity, by: WeeklyBy) {
    if activity.complete() {
        return;
    }
    let anyone = activity.unfetched_by_week(None);
    if let Some(series) = option["series"].as_array_mut() {
        for (index, series) in series.iter_mut().enumerate() {
            let missing = match by {
                WeeklyBy::Kind => anyone.clone(),
                WeeklyBy::Person => activity.unfetched_by_week(Some(index)),
            };
            let Some(data) = series["data"].as_array_mut() else {
                continue;
            };
            for (value, days) in data.iter_mut().zip(missing) {
                if days > 0 {
                    *value = json!({ "value": value.take(), "itemStyle": { "opacity": PARTIAL_OPACITY } });
                }
            }
        }
        series.push(json!({
            "type": "bar",
            "name": "Days not fetched",
            "yAxisIndex": 1,
            "data": anyone.iter().map(|&days| if days > 0 { json!(days) } else { json!("-") }).collect::<Vec<_>>(),
            "itemStyle": { "color": UNFETCHED, "borderColor": TEXT, "borderType": "dashed", "borderWidth": 1 },
        }));
    }
    let counts = option["yAxis"].take();
    option["yAxis"] = json!([
        counts,
        {
            "type": "value",
            "name": "days not fetched",
            "nameTextStyle": { "color": TEXT },
            "min": 0,
            "max": 7,
            "interval": 7,
            "splitLine": { "show": false },
            "axisLabel": { "color": TEXT },
        }
    ]);
}

/// What a repository bar is called: the forge and the repository.
pub fn repository_label(forge: Forge, repository: &str) -> String {
    format!("{repository} ({})", forge.name())
}

/// The repositories with the most items, biggest on top.
pub fn repositories(activity: &Activity) -> Value {
    let (top, _) = activity.top_repositories(TOP_REPOSITORIES);
    let bars: Vec<(String, u64)> = top
        .iter()
        .map(|r| (repository_label(r.forge, &r.repository), r.count))
        .collect();
    horizontal_bars("Contributions", &bars, "#2f81f7", 200)
}

/// `bars` (largest first) as horizontal bars, the largest on top, each
/// labelled with its number; names are cut at `label_width` pixels.
pub(super) fn horizontal_bars(
    name: &str,
    bars: &[(String, u64)],
    color: &str,
    label_width: u32,
) -> Value {
    // A category axis draws its first entry at the bottom.
    let names: Vec<String> = bars.iter().rev().map(|(n, _)| n.clone()).collect();
    let values: Vec<DataPoint> = bars
        .iter()
        .rev()
        .map(|(_, n)| DataPoint::from(number(*n)))
        .collect();
    let chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .grid(
            Grid::new()
                .left(8)
                .right(40)
                .top(8)
                .bottom(8)
                .contain_label(true),
        )
        .x_axis(Axis::new().type_(AxisType::Value).min_interval(1))
        .y_axis(Axis::new().type_(AxisType::Category).data(names))
        .series(
            Bar::new()
                .name(name)
                .item_style(ItemStyle::new().color(color))
                .data(values),
        );
    let mut option = to_json(&chart);
    option["xAxis"]["axisLabel"] = json!({ "color": TEXT, "hideOverlap": true });
    option["yAxis"]["axisLabel"] =
        json!({ "color": TEXT, "width": label_width, "overflow": "truncate" });
    option["series"][0]["label"] = json!({ "show": true, "position": "right", "color": TEXT });
    option
}

/// Items per forge, as a donut.
pub fn forges(activity: &Activity) -> Value {
    let slices: Vec<DataPoint> = activity
        .by_forge()
        .into_iter()
        .map(|(forge, n)| DataPoint::from((number(n), forge.name())))
        .collect();
    let chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .legend(Legend::new().bottom(0))
        .series(
            Pie::new()
                .name("Forges")
                .radius(vec!["45%", "70%"])
                .center(vec!["50%", "45%"])
                .data(slices),
        );
    let mut option = to_json(&chart);
    let colors: Vec<&str> = activity
        .by_forge()
        .into_iter()
        .map(|(f, _)| forge_color(f))
        .collect();
    option["color"] = json!(colors);
    option["legend"]["textStyle"] = json!({ "color": TEXT });
    option["series"][0]["label"] = json!({ "color": TEXT, "formatter": "{b}: {c}" });
    option
}

/// The calendar years to draw, newest first (the busiest recent past on top).
pub fn years_newest_first(activity: &Activity) -> Vec<i32> {
    let mut years = activity.years();
    years.reverse();
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::activity::{DayCount, RepositoryCount};

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn activity() -> Activity {
        let count = |person, forge, kind, on: &str, count| DayCount {
            person,
            forge,
            kind,
            day: day(on),
            count,
        };
        Activity::gather(
            day("2025-12-22"),
            day("2026-01-11"),
            vec!["Ann".into(), "Bo".into()],
            [
                count(0, Forge::GitHub, ContributionKind::Commit, "2025-12-23", 3),
                count(0, Forge::GitHub, ContributionKind::Review, "2025-12-23", 1),
                count(1, Forge::GitLab, ContributionKind::Commit, "2026-01-06", 2),
            ],
            (0..12)
                .map(|i| RepositoryCount {
                    forge: Forge::GitHub,
                    repository: format!("o/r{i}"),
                    count: 20 - i,
                })
                .collect(),
        )
    }

    fn numbers(values: &Value) -> Vec<u64> {
        values
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    }

    #[test]
    fn a_calendar_holds_its_years_days_and_their_counts() {
        let a = activity();
        let option = calendar(&a, None, 2025);
        assert_eq!(option["series"][0]["type"], "heatmap");
        assert_eq!(
            option["series"][0]["data"],
            json!([{ "name": "2025-12-23", "value": ["2025-12-23", 4] }])
        );
        assert_eq!(
            option["calendar"]["range"],
            json!(["2025-12-22", "2025-12-31"])
        );
        assert_eq!(option["calendar"]["cellSize"], json!([CELL, CELL]));
        // Colours run to the busiest day of the whole range.
        assert_eq!(option["visualMap"][0]["max"], json!(4.0));
        let bo = calendar(&a, Some(1), 2026);
        assert_eq!(
            bo["series"][0]["data"][0]["value"],
            json!(["2026-01-06", 2])
        );
        assert_eq!(
            calendar(&a, Some(1), 2025)["series"][0]["data"],
            Value::Null
        );
    }

    #[test]
    fn weekly_bars_stack_kinds_or_set_people_side_by_side() {
        let a = activity();
        let by_kind = weekly(&a, WeeklyBy::Kind);
        assert_eq!(
            by_kind["xAxis"]["data"],
            json!(["2025-12-22", "2025-12-29", "2026-01-05"])
        );
        let series = by_kind["series"].as_array().unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0]["name"], "Commit");
        assert_eq!(numbers(&series[0]["data"]), vec![3, 0, 2]);
        assert_eq!(series[0]["stack"], "items");
        let by_person = weekly(&a, WeeklyBy::Person);
        let series = by_person["series"].as_array().unwrap();
        assert_eq!(series[1]["name"], "Bo");
        assert_eq!(numbers(&series[1]["data"]), vec![0, 0, 2]);
        assert!(series[1].get("stack").is_none());
    }

    /// Ann's GitHub account misses 2025-12-24 to 2025-12-29; Bo misses none.
    fn partly_fetched() -> Activity {
        activity().with_unfetched([(0, day("2025-12-24"), day("2025-12-29"))])
    }

    #[test]
    fn a_calendar_marks_days_not_fetched_apart_from_its_colour_scale() {
        let a = partly_fetched();
        let option = calendar(&a, None, 2025);
        assert_eq!(option["visualMap"][0]["seriesIndex"], json!(0));
        let marked = &option["series"][1];
        assert_eq!(marked["name"], "Not fetched");
        let days: Vec<&str> = marked["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["value"][0].as_str().unwrap())
            .collect();
        assert_eq!(
            days,
            vec![
                "2025-12-24",
                "2025-12-25",
                "2025-12-26",
                "2025-12-27",
                "2025-12-28",
                "2025-12-29"
            ]
        );
        // 2026 is fetched for everyone, and Bo misses nothing.
        assert_eq!(calendar(&a, None, 2026)["series"][1], Value::Null);
        assert_eq!(calendar(&a, Some(1), 2025)["series"][1], Value::Null);
        // A fully fetched calendar has no mark and an unrestricted scale.
        assert_eq!(calendar(&activity(), None, 2025)["series"][1], Value::Null);
    }

    #[test]
    fn weekly_bars_fade_weeks_that_miss_days_and_count_those_days() {
        let a = partly_fetched();
        let by_kind = weekly(&a, WeeklyBy::Kind);
        let series = by_kind["series"].as_array().unwrap();
        // Commit's first week (3 items) misses 5 days, its second 1.
        assert_eq!(series[0]["data"][0]["value"], json!(3));
        assert_eq!(
            series[0]["data"][0]["itemStyle"]["opacity"],
            json!(PARTIAL_OPACITY)
        );
        assert_eq!(series[0]["data"][2], json!(2));
        let missing = series.last().unwrap();
        assert_eq!(missing["name"], "Days not fetched");
        assert_eq!(missing["yAxisIndex"], json!(1));
        assert_eq!(missing["data"], json!([5, 1, "-"]));
        assert_eq!(by_kind["yAxis"][1]["max"], json!(7));
        // By person, only Ann's bars fade.
        let by_person = weekly(&a, WeeklyBy::Person);
        let series = by_person["series"].as_array().unwrap();
        assert_eq!(series[0]["data"][1]["value"], json!(0));
        assert_eq!(numbers(&series[1]["data"]), vec![0, 0, 2]);
        // Fully fetched: nothing added.
        assert_eq!(
            weekly(&activity(), WeeklyBy::Kind)["series"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn the_top_repositories_are_named_biggest_on_top() {
        let option = repositories(&activity());
        let names = option["yAxis"]["data"].as_array().unwrap();
        assert_eq!(names.len(), TOP_REPOSITORIES);
        assert_eq!(names.last().unwrap(), "o/r0 (GitHub)");
        assert_eq!(numbers(&option["series"][0]["data"]).last(), Some(&20));
    }

    #[test]
    fn the_donut_shares_items_by_forge() {
        let option = forges(&activity());
        assert_eq!(
            option["series"][0]["data"],
            json!([{ "value": 4, "name": "GitHub" }, { "value": 2, "name": "GitLab" }])
        );
    }

    #[test]
    fn a_years_calendar_is_as_wide_as_its_weeks() {
        let a = activity();
        assert_eq!(calendar_weeks(&a, 2025), 2);
        assert_eq!(calendar_weeks(&a, 2026), 2);
        assert_eq!(years_newest_first(&a), vec![2026, 2025]);
    }
}
