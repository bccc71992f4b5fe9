//! Numbers and times as people read them: how long ago something happened,
//! counted from a given instant (the server's, so both renderings of a page
//! say the same), and counts with thousands grouped.

use chrono::{DateTime, Utc};

pub fn age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds().max(0);
    let (amount, unit) = match seconds {
        0..60 => return "just now".to_owned(),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        86_400..2_592_000 => (seconds / 86_400, "day"),
        2_592_000..31_536_000 => (seconds / 2_592_000, "month"),
        _ => (seconds / 31_536_000, "year"),
    };
    let plural = if amount == 1 { "" } else { "s" };
    format!("{amount} {unit}{plural} ago")
}

/// A length of time in its two largest units: "3 d 4 h", "45 min".
pub fn span(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (days, hours) {
        (0, 0) if minutes == 0 => format!("{seconds} s"),
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

/// `33333` as "33,333".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn spans_show_their_two_largest_units() {
        assert_eq!(span(42), "42 s");
        assert_eq!(span(45 * 60 + 3), "45 min");
        assert_eq!(span(5 * 3_600 + 120), "5 h 2 min");
        assert_eq!(span(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
    }

    #[test]
    fn ages_round_down_to_the_largest_unit() {
        let now = Utc::now();
        assert_eq!(age(now, now), "just now");
        assert_eq!(age(now + Duration::minutes(5), now), "just now");
        assert_eq!(age(now - Duration::seconds(90), now), "1 minute ago");
        assert_eq!(age(now - Duration::hours(5), now), "5 hours ago");
        assert_eq!(age(now - Duration::days(1), now), "1 day ago");
        assert_eq!(age(now - Duration::days(65), now), "2 months ago");
        assert_eq!(age(now - Duration::days(800), now), "2 years ago");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(33333), "33,333");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
