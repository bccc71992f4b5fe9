//! How values are named on the wire.

use serde::Serialize;

/// The name a unit variant goes by in JSON (`pull_request_opened`,
/// `merged`): the one forms, the store and exports use; empty for a
/// value that is not a plain name.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contribution::{ContributionKind, Status};

    #[test]
    fn names_are_the_serde_names() {
        assert_eq!(
            wire_name(&ContributionKind::PullRequestOpened),
            "pull_request_opened"
        );
        assert_eq!(wire_name(&Status::Merged), "merged");
        assert_eq!(wire_name(&3), "");
    }
}
