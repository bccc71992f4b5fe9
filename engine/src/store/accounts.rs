//! People who signed in, their linked forge accounts (tokens sealed), and
//! what each account may read: the queries over `users`,
//! `linked_accounts` and `account_repositories`.

use chrono::{DateTime, Utc};
use model::forge::Forge;
use sqlx::Row;

use super::Store;
use crate::error::{Error, Result};
use crate::forge::RepoInfo;

pub use model::ids::AccountId;
pub use model::ids::UserId;

/// A forge account and its sealed tokens: what signing in links, and the
/// heart of every stored account.
#[derive(Debug, Clone)]
pub struct SealedAccount {
    pub forge: Forge,
    pub instance: String,
    pub forge_user_id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A linked account as stored: whose it is, the account with its tokens
/// still sealed, and what Tally last noticed about it.
#[derive(Debug, Clone)]
pub struct StoredAccount {
    pub id: AccountId,
    pub user_id: UserId,
    pub linked: SealedAccount,
    pub problem: Option<String>,
    pub repos_listed_at: Option<DateTime<Utc>>,
}

/// A repository a person's account may read, for the subscription manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable {
    pub account_id: AccountId,
    pub forge: Forge,
    pub instance: String,
    pub path: String,
    pub url: String,
    pub private: bool,
    pub description: Option<String>,
    pub subscribed: bool,
}

/// The forge a stored row names; Tally writes only known keys, so another
/// is damage to report rather than to read as some forge.
pub(crate) fn forge_of(text: &str) -> Result<Forge> {
    Forge::from_key(text)
        .ok_or_else(|| Error::Inconsistent(format!("the database names an unknown forge `{text}`")))
}

const ACCOUNT_COLUMNS: &str = "id, user_id, forge, instance, forge_user_id, username, display_name, \
     access_token, refresh_token, expires_at, problem, repos_listed_at";

fn account_of(row: &sqlx::postgres::PgRow) -> Result<StoredAccount> {
    Ok(StoredAccount {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        linked: SealedAccount {
            forge: forge_of(row.try_get("forge")?)?,
            instance: row.try_get("instance")?,
            forge_user_id: row.try_get("forge_user_id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            access_token: row.try_get("access_token")?,
            refresh_token: row.try_get("refresh_token")?,
            expires_at: row.try_get("expires_at")?,
        },
        problem: row.try_get("problem")?,
        repos_listed_at: row.try_get("repos_listed_at")?,
    })
}

impl Store {
    /// Links `account` to `user`, or with no user to the person it is
    /// already linked to, or to a new person. Signing in again with an
    /// account renews its tokens and clears its problem. An account linked
    /// to someone else is refused: one forge account, one person.
    pub async fn link_account(
        &self,
        user: Option<UserId>,
        account: &SealedAccount,
    ) -> Result<(UserId, AccountId)> {
        let mut tx = self.pool().begin().await?;
        // Two first sign-ins of one account at once (two tabs, two
        // processes) would both find no row and both insert; the second
        // failed on the unique key. One at a time per account, the second
        // finds the first one's row.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!(
                "linked_accounts:{}:{}:{}",
                account.forge.key(),
                account.instance,
                account.forge_user_id
            ))
            .execute(&mut *tx)
            .await?;
        let existing: Option<(AccountId, UserId)> = sqlx::query_as(
            "SELECT id, user_id FROM linked_accounts
             WHERE forge = $1 AND instance = $2 AND forge_user_id = $3 FOR UPDATE",
        )
        .bind(account.forge.key())
        .bind(&account.instance)
        .bind(&account.forge_user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let linked = match existing {
            Some((_, owner)) if user.is_some_and(|u| u != owner) => {
                return Err(Error::Denied(format!(
                    "the {} account {} is already linked to another Tally sign-in; sign out and sign in with it to use it",
                    account.forge.name(),
                    account.username
                )));
            }
            Some((id, owner)) => {
                sqlx::query(
                    "UPDATE linked_accounts SET username = $2, display_name = $3,
                         access_token = $4, refresh_token = $5, expires_at = $6,
                         problem = NULL, updated_at = now()
                     WHERE id = $1",
                )
                .bind(id)
                .bind(&account.username)
                .bind(&account.display_name)
                .bind(&account.access_token)
                .bind(&account.refresh_token)
                .bind(account.expires_at)
                .execute(&mut *tx)
                .await?;
                // Access lost stays lost until a sync proves the new token
                // reads the repository (someone removed from an organisation
                // signs in with a token that reads it no more than the old).
                (owner, id)
            }
            None => {
                let owner = match user {
                    Some(user) => user,
                    None => {
                        sqlx::query_scalar("INSERT INTO users DEFAULT VALUES RETURNING id")
                            .fetch_one(&mut *tx)
                            .await?
                    }
                };
                let id: AccountId = sqlx::query_scalar(
                    "INSERT INTO linked_accounts (user_id, forge, instance, forge_user_id, username,
                         display_name, access_token, refresh_token, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(owner)
                .bind(account.forge.key())
                .bind(&account.instance)
                .bind(&account.forge_user_id)
                .bind(&account.username)
                .bind(&account.display_name)
                .bind(&account.access_token)
                .bind(&account.refresh_token)
                .bind(account.expires_at)
                .fetch_one(&mut *tx)
                .await?;
                (owner, id)
            }
        };
        self.commit_change(tx).await?;
        Ok(linked)
    }

    pub async fn user_exists(&self, user: UserId) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
                .bind(user)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// A person's linked accounts, oldest first.
    pub async fn accounts_of(&self, user: UserId) -> Result<Vec<StoredAccount>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM linked_accounts WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(account_of).collect()
    }

    pub async fn account(&self, id: AccountId) -> Result<Option<StoredAccount>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM linked_accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(account_of).transpose()
    }

    /// Stores refreshed tokens.
    pub async fn renew_tokens(
        &self,
        id: AccountId,
        access: &[u8],
        refresh: Option<&[u8]>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE linked_accounts SET access_token = $2,
                 refresh_token = COALESCE($3, refresh_token), expires_at = $4,
                 problem = NULL, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(access)
        .bind(refresh)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records that an account's token no longer works: its person loses
    /// the private repositories they subscribed to through it, and says so.
    pub async fn account_broken(&self, id: AccountId, problem: &str) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE linked_accounts SET problem = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(problem)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE subscriptions s SET lost_access = $2
             FROM tracked_repositories r
             WHERE s.repository_id = r.id AND r.private AND s.account_id = $1",
        )
        .bind(id)
        .bind(problem)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// Unlinks one of a person's accounts; the person goes with their last.
    /// Returns whether the person is left (false: nothing left, signed out).
    pub async fn unlink_account(&self, user: UserId, id: AccountId) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE subscriptions s SET lost_access = 'the account that could read it was unlinked'
             FROM tracked_repositories r
             WHERE s.repository_id = r.id AND r.private AND s.user_id = $1 AND s.account_id = $2",
        )
        .bind(user)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let removed = sqlx::query("DELETE FROM linked_accounts WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 0 {
            return Err(Error::Denied("that account is not linked to you".into()));
        }
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM linked_accounts WHERE user_id = $1")
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
        if left == 0 {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            forget_unwatched(&mut tx).await?;
        }
        self.commit_change(tx).await?;
        Ok(left > 0)
    }

    /// Replaces the list of what an account may read.
    pub async fn replace_readable(&self, account: AccountId, repos: &[RepoInfo]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM account_repositories WHERE account_id = $1")
            .bind(account)
            .execute(&mut *tx)
            .await?;
        let paths: Vec<&str> = repos.iter().map(|r| r.path.as_str()).collect();
        let urls: Vec<&str> = repos.iter().map(|r| r.url.as_str()).collect();
        let private: Vec<bool> = repos.iter().map(|r| r.private).collect();
        let descriptions: Vec<Option<&str>> =
            repos.iter().map(|r| r.description.as_deref()).collect();
        sqlx::query(
            "INSERT INTO account_repositories (account_id, path, url, private, description)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bool[], $5::text[])
             ON CONFLICT DO NOTHING",
        )
        .bind(account)
        .bind(&paths)
        .bind(&urls)
        .bind(&private)
        .bind(&descriptions)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE linked_accounts SET repos_listed_at = now() WHERE id = $1")
            .bind(account)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of what a person's accounts may read, by name, matching
    /// `search` (a substring, any case); and how many match in all.
    pub async fn readable(
        &self,
        user: UserId,
        search: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Readable>, i64)> {
        let pattern = format!("%{}%", like_escape(search.trim()));
        let rows = sqlx::query(
            "SELECT a.id AS account_id, a.forge, a.instance, ar.path, ar.url, ar.private,
                    ar.description, count(*) OVER () AS total,
                    EXISTS (SELECT 1 FROM subscriptions s JOIN tracked_repositories r
                              ON r.id = s.repository_id
                            WHERE s.user_id = $1 AND r.forge = a.forge
                              AND r.instance = a.instance AND r.path = ar.path) AS subscribed
             FROM account_repositories ar JOIN linked_accounts a ON a.id = ar.account_id
             WHERE a.user_id = $1 AND ar.path ILIKE $2
             ORDER BY lower(ar.path), a.forge, a.id
             OFFSET $3 LIMIT $4",
        )
        .bind(user)
        .bind(&pattern)
        .bind(offset)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None => {
                sqlx::query_scalar(
                    "SELECT count(*) FROM account_repositories ar
                     JOIN linked_accounts a ON a.id = ar.account_id
                     WHERE a.user_id = $1 AND ar.path ILIKE $2",
                )
                .bind(user)
                .bind(&pattern)
                .fetch_one(self.pool())
                .await?
            }
        };
        let items = rows
            .iter()
            .map(|row| {
                Ok(Readable {
                    account_id: row.try_get("account_id")?,
                    forge: forge_of(row.try_get("forge")?)?,
                    instance: row.try_get("instance")?,
                    path: row.try_get("path")?,
                    url: row.try_get("url")?,
                    private: row.try_get("private")?,
                    description: row.try_get("description")?,
                    subscribed: row.try_get("subscribed")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((items, total))
    }
}

/// Repositories nobody subscribes to any more are not kept (nor synced),
/// unless a report on them keeps them a while.
pub(crate) async fn forget_unwatched(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> Result<()> {
    sqlx::query(
        "DELETE FROM tracked_repositories r
         WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.repository_id = r.id)
           AND (r.report_until IS NULL OR r.report_until < now())",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `text` with LIKE's wildcards taken literally.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
