//! Personal API tokens. A token is shown once, when it is made; only its
//! SHA-256 digest is kept, so a copy of the database holds no usable token.

use chrono::{DateTime, Utc};
use model::ids::{ApiTokenId, UserId};
use model::tokens::{ApiToken, NewApiToken, TOKEN_PREFIX};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::{Error, Result};

/// Tokens one person may hold at once.
pub const MAX_TOKENS: i64 = 20;

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new token: the prefix and 32 random bytes in hex.
fn mint() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{TOKEN_PREFIX}{hex}")
}

impl Store {
    /// Makes a token for `user`; the answer is the only time it is seen.
    pub async fn create_api_token(&self, user: UserId, name: &str) -> Result<NewApiToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::Invalid(
                "a token's name is 1 to 100 characters".into(),
            ));
        }
        let held: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user)
        .fetch_one(self.pool())
        .await?;
        if held >= MAX_TOKENS {
            return Err(Error::Invalid(format!(
                "you hold {held} tokens, the most one person may; revoke one first"
            )));
        }
        let token = mint();
        let (id, created_at): (ApiTokenId, DateTime<Utc>) = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, name, digest) VALUES ($1, $2, $3)
             RETURNING id, created_at",
        )
        .bind(user)
        .bind(name)
        .bind(digest(&token))
        .fetch_one(self.pool())
        .await?;
        Ok(NewApiToken {
            token,
            details: ApiToken {
                id,
                name: name.to_owned(),
                created_at,
                last_used_at: None,
            },
        })
    }

    /// A person's tokens that still work, newest first.
    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, name, created_at, last_used_at FROM api_tokens
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC",
        )
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| ApiToken {
                id: row.id,
                name: row.name,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
            })
            .collect())
    }

    /// Revokes one of `user`'s tokens; `NotFound` if they hold no such one.
    pub async fn revoke_api_token(&self, user: UserId, token: ApiTokenId) -> Result<()> {
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = now()
             WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(token)
        .bind(user)
        .execute(self.pool())
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(Error::NotFound {
                what: format!("token {token}"),
            });
        }
        Ok(())
    }

    /// Whose token this is, if it works; notes that it was used.
    pub async fn api_token_owner(&self, token: &str) -> Result<Option<(ApiTokenId, UserId)>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(sqlx::query_as(
            "UPDATE api_tokens SET last_used_at = now()
             WHERE digest = $1 AND revoked_at IS NULL
             RETURNING id, user_id",
        )
        .bind(digest(token))
        .fetch_optional(self.pool())
        .await?)
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: ApiTokenId,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}
