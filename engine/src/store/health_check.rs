//! Organisation health checks as they were last read from the forges.

use chrono::{DateTime, Utc};
use model::health_check::{LanguageDetail, Organisation};

use super::Store;
use crate::error::Result;
use crate::health_check::address::OrgAddress;

/// What was last read for an organisation: its numbers, or `None` when the
/// forge said it has no such organisation.
#[derive(Debug, Clone)]
pub struct KeptOrganisation {
    pub answer: Option<Organisation>,
    pub read_at: DateTime<Utc>,
}

impl Store {
    pub async fn kept_organisation(
        &self,
        address: &OrgAddress,
        languages: LanguageDetail,
    ) -> Result<Option<KeptOrganisation>> {
        let (forge, instance, login) = address.key();
        let row: Option<(Option<sqlx::types::Json<Organisation>>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT answer, read_at FROM health_organisations
                 WHERE forge = $1 AND instance = $2 AND login = $3 AND languages = $4",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(login)
        .bind(languages.key())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(answer, read_at)| KeptOrganisation {
            answer: answer.map(|a| a.0),
            read_at,
        }))
    }

    pub async fn keep_organisation(
        &self,
        address: &OrgAddress,
        languages: LanguageDetail,
        kept: &KeptOrganisation,
    ) -> Result<()> {
        let (forge, instance, login) = address.key();
        sqlx::query(
            "INSERT INTO health_organisations (forge, instance, login, languages, answer, read_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (forge, instance, login, languages)
             DO UPDATE SET answer = excluded.answer, read_at = excluded.read_at",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(login)
        .bind(languages.key())
        .bind(kept.answer.as_ref().map(sqlx::types::Json))
        .bind(kept.read_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
