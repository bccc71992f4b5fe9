//! Developers, repositories and the edges between them, as discovery finds
//! them: the tables of `migrations/…_discovery.sql`. Every write is an
//! upsert keyed by the forge's own id, so running a sync again changes
//! nothing, and a renamed login or repository stays the same row.

use chrono::{DateTime, Utc};
use model::forge::Forge;

use super::{Store, bigint, unsigned};
use crate::error::Result;
use crate::forge::github::network::{Person, Profile, RepositoryRecord};

pub use model::ids::{DeveloperId, RepositoryId};

/// Which of a developer's follow lists a listing replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Who follows the developer.
    Followers,
    /// Whom the developer follows.
    Following,
}

/// A developer the crawler may visit next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    pub id: DeveloperId,
    pub login: String,
    pub distance: Option<i32>,
}

impl Store {
    /// Saves a developer's profile; `distance` lowers the stored one (a
    /// shorter path from a seed was found), never raises it.
    pub async fn upsert_profile(
        &self,
        forge: Forge,
        instance: &str,
        profile: &Profile,
        distance: Option<i32>,
    ) -> Result<DeveloperId> {
        let counts = [
            profile.followers,
            profile.following,
            profile.public_repos,
            profile.public_gists,
        ]
        .map(|n| n.map(bigint).transpose());
        let [followers, following, repos, gists] = counts;
        Ok(sqlx::query_scalar(
            "INSERT INTO developers (forge, instance, forge_id, login, name, location, company,
                 bio, email, created_at, updated_at, followers, following, public_repos,
                 public_gists, distance, profiled_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
             ON CONFLICT (forge, instance, forge_id) DO UPDATE SET
                 login = excluded.login, name = excluded.name, location = excluded.location,
                 company = excluded.company, bio = excluded.bio, email = excluded.email,
                 created_at = excluded.created_at, updated_at = excluded.updated_at,
                 followers = excluded.followers, following = excluded.following,
                 public_repos = excluded.public_repos, public_gists = excluded.public_gists,
                 distance = least(developers.distance, excluded.distance),
                 profiled_at = now(), gone_at = NULL
             RETURNING id",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(profile.id.to_string())
        .bind(&profile.login)
        .bind(&profile.name)
        .bind(&profile.location)
        .bind(&profile.company)
        .bind(&profile.bio)
        .bind(&profile.email)
        .bind(profile.created_at)
        .bind(profile.updated_at)
        .bind(followers?)
        .bind(following?)
        .bind(repos?)
        .bind(gists?)
        .bind(distance)
        .fetch_one(self.pool())
        .await?)
    }

    /// Saves developers seen in a list (who they are, not their counts),
    /// in the list's order; each one's distance is lowered to `distance`.
    pub async fn upsert_people(
        &self,
        forge: Forge,
        instance: &str,
        people: &[Person],
        distance: Option<i32>,
    ) -> Result<Vec<DeveloperId>> {
        let ids: Vec<String> = people.iter().map(|p| p.id.to_string()).collect();
        let logins: Vec<&str> = people.iter().map(|p| p.login.as_str()).collect();
        // One statement for the whole list; ORDER BY keeps the list's order.
        let rows: Vec<(i32, DeveloperId)> = sqlx::query_as(
            "WITH listed AS (
                 SELECT * FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS l(forge_id, login, n)
             ), saved AS (
                 INSERT INTO developers (forge, instance, forge_id, login, distance)
                 SELECT DISTINCT ON (forge_id) $1, $2, forge_id, login, $5 FROM listed
                 ON CONFLICT (forge, instance, forge_id) DO UPDATE SET
                     login = excluded.login,
                     distance = least(developers.distance, excluded.distance)
                 RETURNING id, forge_id
             )
             SELECT l.n::int, s.id FROM listed l JOIN saved s USING (forge_id) ORDER BY l.n",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(&ids)
        .bind(&logins)
        .bind(distance)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(_, id)| id).collect())
    }

    /// Makes `developer`'s followers (or followings) exactly `others`.
    pub async fn replace_follows(
        &self,
        developer: DeveloperId,
        side: Side,
        others: &[DeveloperId],
    ) -> Result<()> {
        let (mine, theirs) = match side {
            Side::Followers => ("followed_id", "follower_id"),
            Side::Following => ("follower_id", "followed_id"),
        };
        let mut tx = self.pool().begin().await?;
        sqlx::query(&format!(
            "DELETE FROM follows WHERE {mine} = $1 AND NOT ({theirs} = ANY($2))"
        ))
        .bind(developer)
        .bind(others)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO follows ({mine}, {theirs}) SELECT $1, unnest($2::bigint[])
             ON CONFLICT DO NOTHING"
        ))
        .bind(developer)
        .bind(others)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves repositories with their owners (who are saved as people found
    /// at `owner_distance`), in the given order.
    pub async fn upsert_repositories(
        &self,
        forge: Forge,
        instance: &str,
        records: &[RepositoryRecord],
        owner_distance: Option<i32>,
    ) -> Result<Vec<RepositoryId>> {
        let owners: Vec<Person> = records.iter().map(|r| r.owner.clone()).collect();
        let owner_ids = self
            .upsert_people(forge, instance, &owners, owner_distance)
            .await?;
        // Rows are written in the forge's id order, whatever the list's:
        // two syncs saving overlapping lists at once then lock the rows
        // they share in the same order and cannot deadlock.
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by_key(|&i| records[i].id);
        let mut ids = vec![RepositoryId(0); records.len()];
        let mut tx = self.pool().begin().await?;
        for i in order {
            let (record, owner) = (&records[i], owner_ids[i]);
            let id: RepositoryId = sqlx::query_scalar(
                "INSERT INTO repositories (forge, instance, forge_id, owner_id, owner_login, name,
                     description, homepage, language, topics, fork, archived, disabled, stars,
                     watchers, forks, open_issues, created_at, updated_at, pushed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                     coalesce($15, 0), $16, $17, $18, $19, $20)
                 ON CONFLICT (forge, instance, forge_id) DO UPDATE SET
                     owner_id = excluded.owner_id, owner_login = excluded.owner_login,
                     name = excluded.name, description = excluded.description,
                     homepage = excluded.homepage, language = excluded.language,
                     topics = excluded.topics, fork = excluded.fork,
                     archived = excluded.archived, disabled = excluded.disabled,
                     stars = excluded.stars,
                     -- Lists carry no watchers; keep what the repository's own answer said.
                     watchers = CASE WHEN $15 IS NULL THEN repositories.watchers
                                     ELSE excluded.watchers END,
                     forks = excluded.forks, open_issues = excluded.open_issues,
                     created_at = excluded.created_at, updated_at = excluded.updated_at,
                     pushed_at = excluded.pushed_at
                 RETURNING id",
            )
            .bind(forge.key())
            .bind(instance)
            .bind(record.id.to_string())
            .bind(owner)
            .bind(&record.owner.login)
            .bind(&record.name)
            .bind(&record.description)
            .bind(&record.homepage)
            .bind(&record.language)
            .bind(&record.topics)
            .bind(record.fork)
            .bind(record.archived)
            .bind(record.disabled)
            .bind(bigint(record.stargazers_count)?)
            .bind(record.subscribers_count.map(bigint).transpose()?)
            .bind(bigint(record.forks_count)?)
            .bind(bigint(record.open_issues_count)?)
            .bind(record.created_at)
            .bind(record.updated_at)
            .bind(record.pushed_at)
            .fetch_one(&mut *tx)
            .await?;
            ids[i] = id;
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Makes `developer`'s stars exactly `starred`.
    pub async fn replace_stars_of(
        &self,
        developer: DeveloperId,
        starred: &[(RepositoryId, Option<DateTime<Utc>>)],
    ) -> Result<()> {
        let (repos, times): (Vec<RepositoryId>, Vec<Option<DateTime<Utc>>>) =
            starred.iter().copied().unzip();
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM stars WHERE developer_id = $1 AND NOT (repository_id = ANY($2))")
            .bind(developer)
            .bind(&repos)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO stars (developer_id, repository_id, starred_at)
             SELECT $1, r, t FROM unnest($2::bigint[], $3::timestamptz[]) AS s(r, t)
             ON CONFLICT (developer_id, repository_id) DO UPDATE SET starred_at = excluded.starred_at",
        )
        .bind(developer)
        .bind(&repos)
        .bind(&times)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes `repository`'s stargazers exactly `gazers`.
    pub async fn replace_stargazers(
        &self,
        repository: RepositoryId,
        gazers: &[(DeveloperId, Option<DateTime<Utc>>)],
    ) -> Result<()> {
        let (people, times): (Vec<DeveloperId>, Vec<Option<DateTime<Utc>>>) =
            gazers.iter().copied().unzip();
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM stars WHERE repository_id = $1 AND NOT (developer_id = ANY($2))")
            .bind(repository)
            .bind(&people)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO stars (developer_id, repository_id, starred_at)
             SELECT d, $1, t FROM unnest($2::bigint[], $3::timestamptz[]) AS s(d, t)
             ON CONFLICT (developer_id, repository_id) DO UPDATE SET starred_at = excluded.starred_at",
        )
        .bind(repository)
        .bind(&people)
        .bind(&times)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that `login`'s profile answered 404: the frontier passes
    /// them over until they are stale again.
    pub async fn developer_gone(&self, forge: Forge, instance: &str, login: &str) -> Result<()> {
        sqlx::query(
            "UPDATE developers SET gone_at = now()
             WHERE forge = $1 AND instance = $2 AND lower(login) = lower($3)",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(login)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records that a developer's full profile sync finished.
    pub async fn developer_synced(&self, developer: DeveloperId) -> Result<()> {
        sqlx::query("UPDATE developers SET synced_at = now() WHERE id = $1")
            .bind(developer)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records that a repository's full sync finished.
    pub async fn repository_synced(&self, repository: RepositoryId) -> Result<()> {
        sqlx::query("UPDATE repositories SET synced_at = now() WHERE id = $1")
            .bind(repository)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Up to `count` developers of `forge` never fully synced or synced
    /// before `stale_before`, nearest to a seed first.
    pub async fn frontier(
        &self,
        forge: Forge,
        instance: &str,
        stale_before: DateTime<Utc>,
        count: i64,
    ) -> Result<Vec<Frontier>> {
        let rows: Vec<(DeveloperId, String, Option<i32>)> = sqlx::query_as(
            "SELECT id, login, distance FROM developers
             WHERE forge = $1 AND instance = $2 AND (synced_at IS NULL OR synced_at < $3)
               AND (gone_at IS NULL OR gone_at < $3)
             ORDER BY distance NULLS LAST, synced_at NULLS FIRST, id
             LIMIT $4",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(stale_before)
        .bind(count)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, login, distance)| Frontier {
                id,
                login,
                distance,
            })
            .collect())
    }

    /// A developer's distance from the seeds, if stored.
    pub async fn developer_distance(
        &self,
        forge: Forge,
        instance: &str,
        login: &str,
    ) -> Result<Option<i32>> {
        Ok(sqlx::query_scalar(
            "SELECT distance FROM developers
             WHERE forge = $1 AND instance = $2 AND lower(login) = lower($3)
             ORDER BY distance NULLS LAST LIMIT 1",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(login)
        .fetch_optional(self.pool())
        .await?
        .flatten())
    }

    /// A developer's follower, following and public repository counts as
    /// last read, if their profile was.
    pub async fn developer_counts(
        &self,
        forge: Forge,
        instance: &str,
        login: &str,
    ) -> Result<Option<(u64, u64, u64)>> {
        let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT followers, following, public_repos FROM developers
             WHERE forge = $1 AND instance = $2 AND lower(login) = lower($3)
             ORDER BY profiled_at DESC NULLS LAST LIMIT 1",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(login)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some((Some(followers), Some(following), Some(repos))) => Ok(Some((
                unsigned(followers)?,
                unsigned(following)?,
                unsigned(repos)?,
            ))),
            _ => Ok(None),
        }
    }
}
