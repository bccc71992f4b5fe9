//! Row ids that travel between the pages, the server and the store. Each
//! kind has its own type, so a repository's id can never be passed where an
//! account's is meant.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = i64))]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    };
}

row_id!(
    /// A person who has signed in to Tally (one or more forge accounts).
    UserId
);
row_id!(
    /// A forge account linked to a Tally user.
    AccountId
);
row_id!(
    /// A repository the issue tracker keeps (`tracked_repositories`).
    RepoId
);
row_id!(
    /// A developer discovery found (`developers`).
    DeveloperId
);
row_id!(
    /// A repository discovery found (`repositories`); not a tracked one.
    RepositoryId
);
row_id!(
    /// One run of a discovery task (`task_runs`).
    TaskRunId
);
row_id!(
    /// A personal API token (`api_tokens`); never the token itself.
    ApiTokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_bare_numbers() {
        assert_eq!(serde_json::to_string(&RepoId(42)).unwrap(), "42");
        let id: AccountId = serde_json::from_str("7").unwrap();
        assert_eq!(id, AccountId(7));
        assert_eq!(UserId(3).to_string(), "3");
    }
}
