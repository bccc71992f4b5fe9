use serde::{Deserialize, Serialize};

/// The answer of `GET /readyz`: whether this process can serve requests that need the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub ready: bool,
    pub database: Check,
    pub migrations: MigrationState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Check {
    Ok,
    Failed { reason: String },
}

/// How the schema in the database compares with the migrations this binary carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationState {
    /// Migrations this binary knows about.
    pub expected: usize,
    /// Of those, how many the database has applied successfully.
    pub applied: usize,
}

impl MigrationState {
    pub fn is_current(&self) -> bool {
        self.applied == self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_check_serializes_with_its_reason() {
        let check = Check::Failed {
            reason: "connection refused".into(),
        };
        let json = serde_json::to_value(&check).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "failed", "reason": "connection refused"})
        );
    }

    #[test]
    fn migrations_are_current_only_when_all_are_applied() {
        assert!(
            MigrationState {
                expected: 3,
                applied: 3
            }
            .is_current()
        );
        assert!(
            !MigrationState {
                expected: 3,
                applied: 2
            }
            .is_current()
        );
    }
}
