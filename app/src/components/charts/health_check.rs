//! The ECharts options of a health check's graphs: languages as a donut,
//! and the biggest counts (topics, stars per repository) as bars.

use charming::Chart;
use charming::component::Legend;
use charming::datatype::DataPoint;
use charming::element::{Tooltip, Trigger};
use charming::series::Pie;
use serde_json::{Value, json};

use super::options::{TEXT, horizontal_bars, number, to_json};

/// Slices a donut shows; the rest are one "Other" slice.
pub const DONUT_SLICES: usize = 8;
/// Bars a chart shows.
pub const BARS: usize = 15;

/// The largest `most` of `counts`, biggest first (ties by name), and the
/// sum of the rest.
pub fn largest(counts: &[(String, u64)], most: usize) -> (Vec<(String, u64)>, u64) {
    let mut sorted = counts.to_vec();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest = sorted.iter().skip(most).map(|(_, n)| n).sum();
    sorted.truncate(most);
    (sorted, rest)
}

/// Repositories per language.
pub fn languages(counts: &[(String, u64)]) -> Value {
    let (top, rest) = largest(counts, DONUT_SLICES);
    let mut slices: Vec<DataPoint> = top
        .iter()
        .map(|(name, n)| DataPoint::from((number(*n), name.as_str())))
        .collect();
    if rest > 0 {
        slices.push(DataPoint::from((number(rest), "Other")));
    }
    let chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .legend(Legend::new().bottom(0))
        .series(
            Pie::new()
                .name("Repositories")
                .radius(vec!["45%", "70%"])
                .center(vec!["50%", "42%"])
                .data(slices),
        );
    let mut option = to_json(&chart);
    option["legend"]["textStyle"] = json!({ "color": TEXT });
    option["legend"]["type"] = json!("scroll");
    option["series"][0]["label"] = json!({ "color": TEXT, "formatter": "{b}: {c}" });
    option
}

/// The largest counts as horizontal bars, biggest on top.
pub fn bars(name: &str, counts: &[(String, u64)], color: &str) -> Value {
    let (top, _) = largest(counts, BARS);
    horizontal_bars(name, &top, color, 160)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    }

    #[test]
    fn the_largest_come_first_and_the_rest_is_summed() {
        let (top, rest) = largest(&counts(&[("a", 1), ("b", 5), ("c", 5), ("d", 2)]), 2);
        assert_eq!(top, counts(&[("b", 5), ("c", 5)]));
        assert_eq!(rest, 3);
    }

    #[test]
    fn the_donut_holds_every_repository_once() {
        let many: Vec<(String, u64)> = (0..12).map(|n| (format!("L{n:02}"), n + 1)).collect();
        let option = languages(&many);
        let data = option["series"][0]["data"].as_array().unwrap();
        assert_eq!(data.len(), DONUT_SLICES + 1);
        let total: u64 = data.iter().map(|d| d["value"].as_u64().unwrap()).sum();
        assert_eq!(total, many.iter().map(|(_, n)| n).sum::<u64>());
        assert_eq!(data.last().unwrap()["name"], "Other");
    }

    #[test]
    fn bars_show_the_biggest_on_top() {
        let option = bars("Stars", &counts(&[("x", 3), ("y", 9)]), "#000");
        assert_eq!(option["yAxis"]["data"], json!(["x", "y"]));
        assert_eq!(option["series"][0]["data"][1], json!(9));
    }
}
