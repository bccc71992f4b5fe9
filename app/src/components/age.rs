//! How long ago something happened, in words, counted from a given
//! instant (the server's, so both renderings of a page say the same).

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

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
}
