//! Pictures of a query to put elsewhere (a README, a wiki): its
//! contribution calendar, `/q/<hash>/calendar.svg`, and a summary badge,
//! `/q/<hash>/badge.svg`. Standalone SVG drawn on the server, with no
//! script and no outside resource, so an `<img>` anywhere shows it; the
//! numbers are the query page's, read from the same snapshot.
//!
//! Parameters: `theme` (`light`, the default, or `dark`) and, for the
//! calendar, `width` in pixels ([`MIN_WIDTH`] to [`MAX_WIDTH`]; the
//! drawing keeps its proportions). Anything else is a 400 naming it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use app::error::AppError;
use app::grouped;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate};
use model::activity::Activity;
use model::query::{QueryHash, Summary};

use crate::state::AppState;
use crate::xml;

pub const MIN_WIDTH: u32 = 200;
pub const MAX_WIDTH: u32 = 4000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/q/{hash}/calendar.svg", get(calendar))
        .route("/q/{hash}/badge.svg", get(badge))
}

/// Light or dark colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Theme {
    Light,
    Dark,
}

/// The colours of one theme: background, text, an empty day, and the
/// four levels of busier days.
struct Palette {
    background: &'static str,
    text: &'static str,
    empty: &'static str,
    levels: [&'static str; 4],
    unfetched: &'static str,
}

impl Theme {
    fn palette(self) -> Palette {
        match self {
            Self::Light => Palette {
                background: "#ffffff",
                text: "#57606a",
                empty: "#ebedf0",
                levels: ["#9be9a8", "#40c463", "#30a14e", "#216e39"],
                unfetched: "#8c959f",
            },
            Self::Dark => Palette {
                background: "#0d1117",
                text: "#8b949e",
                empty: "#161b22",
                levels: ["#0e4429", "#006d32", "#26a641", "#39d353"],
                unfetched: "#6e7681",
            },
        }
    }
}

/// What an embed's address asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Options {
    theme: Theme,
    /// `None`: the drawing's own size.
    width: Option<u32>,
}

impl Options {
    /// Reads `theme` and, where `sized`, `width`; any other parameter, a
    /// repeated one or a bad value is refused naming it.
    fn parse(query: Option<&str>, sized: bool) -> Result<Self, AppError> {
        let mut options = Self {
            theme: Theme::Light,
            width: None,
        };
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| AppError::bad_request("query", e.to_string()))?;
        let mut seen = Vec::new();
        for (name, value) in pairs {
            if seen.contains(&name) {
                return Err(AppError::bad_request(name, "is given more than once"));
            }
            match name.as_str() {
                "theme" => {
                    options.theme = match value.as_str() {
                        "light" => Theme::Light,
                        "dark" => Theme::Dark,
                        _ => return Err(AppError::bad_request("theme", "must be light or dark")),
                    };
                }
                "width" if sized => {
                    let width = value
                        .parse::<u32>()
                        .ok()
                        .filter(|w| (MIN_WIDTH..=MAX_WIDTH).contains(w))
                        .ok_or_else(|| {
                            AppError::bad_request(
                                "width",
                                format!("must be a whole number of pixels from {MIN_WIDTH} to {MAX_WIDTH}"),
                            )
                        })?;
                    options.width = Some(width);
                }
                _ => {
                    return Err(AppError::bad_request(
                        name,
                        "is not a parameter of this picture",
                    ));
                }
            }
            seen.push(name);
        }
        Ok(options)
    }
}

async fn calendar(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let options = Options::parse(query.as_deref(), true)?;
    let (summary, activity) = read(&state, &hash).await?;
    let svg = draw_calendar(&summary, &activity, options);
    Ok(answer(svg, &summary, &headers))
}

async fn badge(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let options = Options::parse(query.as_deref(), false)?;
    let (summary, _) = read(&state, &hash).await?;
    Ok(answer(
        draw_badge(&summary, options.theme),
        &summary,
        &headers,
    ))
}

/// The query's tallies and days, as its page reads them (opening an
/// embed, like opening the page, fills a stale cache in the background).
async fn read(state: &AppState, hash: &str) -> Result<(Summary, Activity), AppError> {
    let not_found = || AppError::not_found(format!("query {hash}"));
    let hash = QueryHash::parse(hash).ok_or_else(not_found)?;
    let summary = state.queries.summary(&hash).await?.ok_or_else(not_found)?;
    let activity = state.queries.activity(&hash).await?.ok_or_else(not_found)?;
    Ok((summary, activity))
}

/// The SVG with its validators: an ETag of its bytes (304 when the
/// browser or proxy has them), kept for five minutes once the numbers are
/// settled and checked every time while they are not.
fn answer(svg: String, summary: &Summary, headers: &HeaderMap) -> Response {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    svg.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let settled = !summary.fetching && summary.complete();
    let cache = if settled {
        "public, max-age=300"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent.split(',').any(|tag| tag.trim() == etag));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, cache.to_owned()),
        // Opened on its own, the picture may run nothing and load nothing.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'".to_owned(),
        ),
    ];
    let mut response = if matches {
        (StatusCode::NOT_MODIFIED, common).into_response()
    } else {
        (common, svg).into_response()
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    response
}

/// "1,234", or "at least 1,234" while days are missing.
fn total_text(summary: &Summary) -> String {
    if summary.complete() {
        grouped(summary.total)
    } else {
        format!("at least {}", grouped(summary.total))
    }
}

/// Which of the four levels a day of `count` items is drawn in, against
/// the busiest day's `most` (0 for none).
fn level(count: u64, most: u64) -> Option<usize> {
    if count == 0 || most == 0 {
        return None;
    }
    // ceil(4 × count / most), from 1 to 4.
    let level = (4 * count).div_ceil(most).clamp(1, 4);
    usize::try_from(level - 1).ok()
}

const CELL: u32 = 11;
const STEP: u32 = 13;
const LEFT: u32 = 30;
const TOP: u32 = 34;

/// The calendar: a column per week (Monday on top), a square per day of
/// the range with its count in its title and `data-count`; days not
/// fetched are outlined and dashed, never drawn as zero.
fn draw_calendar(summary: &Summary, activity: &Activity, options: Options) -> String {
    let palette = options.theme.palette();
    let totals = activity.day_totals(None);
    let missing = missing_days(activity);
    let most = totals.values().copied().max().unwrap_or(0);
    let first_monday =
        activity.from - Duration::days(i64::from(activity.from.weekday().num_days_from_monday()));
    let weeks = u32::try_from((activity.to - first_monday).num_days() / 7 + 1).unwrap_or(1);
    let natural_width = LEFT + weeks * STEP + 10;
    let natural_height = TOP + 7 * STEP + 30;
    let (width, height) = match options.width {
        Some(width) => (
            width,
            (u64::from(width) * u64::from(natural_height)).div_ceil(u64::from(natural_width)),
        ),
        None => (natural_width, u64::from(natural_height)),
    };
    let names: Vec<&str> = summary.people.iter().map(|p| p.name.as_str()).collect();
    let title = format!(
        "Contributions of {} from {} to {}: {}",
        names.join(", "),
        activity.from,
        activity.to,
        total_text(summary)
    );
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {natural_width} {natural_height}" role="img" aria-label="{label}" data-total="{total}" data-complete="{complete}" font-family="-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="10">"#,
        label = xml::escape(&title),
        total = summary.total,
        complete = summary.complete(),
    );
    let _ = write!(svg, "<title>{}</title>", xml::escape(&title));
    let _ = write!(
        svg,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        palette.background
    );
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="12" fill="{}" font-size="11">{}</text>"#,
        palette.text,
        xml::escape(&format!(
            "{} contributions, {} to {}",
            total_text(summary),
            activity.from,
            activity.to
        ))
    );
    for (row, name) in [(0, "Mon"), (2, "Wed"), (4, "Fri")] {
        let _ = write!(
            svg,
            r#"<text x="0" y="{}" fill="{}">{name}</text>"#,
            TOP + row * STEP + CELL - 2,
            palette.text
        );
    }
    let mut day = activity.from;
    let mut last_month = None;
    while day <= activity.to {
        let offset = (day - first_monday).num_days();
        let column = u32::try_from(offset / 7).unwrap_or(0);
        let row = day.weekday().num_days_from_monday();
        let (x, y) = (LEFT + column * STEP, TOP + row * STEP);
        if last_month != Some(day.month()) && (row == 0 || day == activity.from) {
            last_month = Some(day.month());
            let _ = write!(
                svg,
                r#"<text x="{x}" y="{}" fill="{}">{}</text>"#,
                TOP - 6,
                palette.text,
                month_name(day)
            );
        }
        let count = totals.get(&day).copied().unwrap_or(0);
        if missing.contains(&day) {
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" fill="none" stroke="{}" stroke-dasharray="2 1" data-date="{day}" data-count="{count}" data-unfetched="true"><title>{day}: at least {count}, not fetched yet</title></rect>"#,
                palette.unfetched
            );
        } else {
            let fill = level(count, most).map_or(palette.empty, |l| palette.levels[l]);
            let noun = if count == 1 {
                "contribution"
            } else {
                "contributions"
            };
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" fill="{fill}" data-date="{day}" data-count="{count}"><title>{day}: {count} {noun}</title></rect>"#
            );
        }
        day += Duration::days(1);
    }
    let legend_y = TOP + 7 * STEP + 12;
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="{}" fill="{}">Less</text>"#,
        legend_y + CELL - 2,
        palette.text
    );
    for (i, colour) in std::iter::once(palette.empty)
        .chain(palette.levels)
        .enumerate()
    {
        let x = LEFT + 28 + u32::try_from(i).unwrap_or(0) * STEP;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{legend_y}" width="{CELL}" height="{CELL}" rx="2" fill="{colour}"/>"#
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" fill="{}">More</text></svg>"#,
        LEFT + 28 + 5 * STEP + 4,
        legend_y + CELL - 2,
        palette.text
    );
    svg
}

/// The days someone's counts are missing on.
fn missing_days(activity: &Activity) -> BTreeSet<NaiveDate> {
    activity
        .unfetched_runs(None)
        .into_iter()
        .flat_map(|(first, last)| first.iter_days().take_while(move |day| *day <= last))
        .collect()
}

fn month_name(day: NaiveDate) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    NAMES[usize::try_from(day.month0()).unwrap_or(0)]
}

/// A badge: "contributions" beside the query's total.
fn draw_badge(summary: &Summary, theme: Theme) -> String {
    let label = "contributions";
    let value = total_text(summary);
    // About 6.5 px a character at 11 px Verdana-like type, plus padding.
    let width_of = |text: &str| u32::try_from(text.chars().count()).unwrap_or(0) * 13 / 2 + 12;
    let (left, right) = (width_of(label), width_of(&value));
    let (label_fill, value_fill) = match theme {
        Theme::Light => ("#555555", "#2ea043"),
        Theme::Dark => ("#30363d", "#238636"),
    };
    let title = format!("{label}: {value}");
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{title}" data-total="{count}" data-complete="{complete}"><title>{title}</title><rect width="{left}" height="20" fill="{label_fill}"/><rect x="{left}" width="{right}" height="20" fill="{value_fill}"/><g fill="#ffffff" font-family="Verdana, DejaVu Sans, sans-serif" font-size="11" text-anchor="middle"><text x="{label_x}" y="14">{label}</text><text x="{value_x}" y="14">{value}</text></g></svg>"##,
        total = left + right,
        title = xml::escape(&title),
        count = summary.total,
        complete = summary.complete(),
        label_x = left / 2,
        value_x = left + right / 2,
        value = xml::escape(&value),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_and_bad_ones_named() {
        let read = |q: &str| Options::parse(Some(q), true);
        assert_eq!(
            read("theme=dark&width=400").unwrap(),
            Options {
                theme: Theme::Dark,
                width: Some(400)
            }
        );
        assert_eq!(Options::parse(None, true).unwrap().theme, Theme::Light);
        let field = |q: &str, sized| match Options::parse(Some(q), sized).unwrap_err() {
            AppError::BadRequest { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field("theme=blue", true), "theme");
        assert_eq!(field("width=199", true), "width");
        assert_eq!(field("width=4001", true), "width");
        assert_eq!(field("width=wide", true), "width");
        assert_eq!(field("width=400", false), "width");
        assert_eq!(field("colour=red", true), "colour");
        assert_eq!(field("theme=dark&theme=light", true), "theme");
    }

    #[test]
    fn levels_split_the_busiest_day_in_four() {
        assert_eq!(level(0, 8), None);
        assert_eq!(level(1, 8), Some(0));
        assert_eq!(level(2, 8), Some(0));
        assert_eq!(level(3, 8), Some(1));
        assert_eq!(level(8, 8), Some(3));
        assert_eq!(level(1, 1), Some(3));
    }
}
