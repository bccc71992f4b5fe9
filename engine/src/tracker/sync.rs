//! Keeping one repository's tracker current. Each sync lists what was
//! updated since the watermark (less an overlap, for clocks and replicas
//! that lag), reads the comments of items whose comments may have changed,
//! concurrently, and stores them a batch at a time, each batch in one
//! transaction. Only when everything listed is stored does the watermark
//! move, to the forge's own clock at the start of the listing: a sync cut
//! short (a failure, a killed process) is simply done again, and upserts
//! make doing it again harmless. Now and then a full listing also finds
//! items deleted on the forge.
//!
//! Who reads: the installation's token for public repositories; for
//! private ones each subscriber's own token, which must still read it
//! (a subscriber whose token cannot loses sight of its items, and is told).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use model::forge::Forge;
use model::tracker::{Comment, Issue};

use crate::accounts::Accounts;
use crate::error::{Error, Result};
use crate::forge::activity::{Listing, ReviewRecord};
use crate::forge::directory::Directory;
use crate::forge::{Client, RepoInfo};
use crate::store::Store;
use crate::store::activity::ActivityList;
use crate::store::tracker::{ItemToStore, RepoId, StoredItem, Subscriber, TrackedRepo};

/// How a sync behaves.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// Asked again before the watermark: the forge's clock and its
    /// replicas may disagree by this much.
    pub overlap: Duration,
    /// A full listing, which also finds deleted items, at least this often.
    pub full_every: Duration,
    /// Items stored per transaction.
    pub batch: usize,
    /// Comment lists read at once (the forge's limits bound it further).
    pub comment_fetches: usize,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            overlap: Duration::minutes(2),
            full_every: Duration::hours(24),
            batch: 50,
            comment_fetches: 8,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Items the forge listed as updated since the watermark (all, if full).
    pub listed: usize,
    /// Items whose comments were read.
    pub comment_lists: usize,
    pub full: bool,
    /// Pull requests new or changed since stored, and reviews read.
    pub changes: usize,
    pub reviews: usize,
    /// Commits read (those since the watermark, less the overlap).
    pub commits: usize,
}

/// Commits stored per transaction.
const COMMIT_BATCH: usize = 500;

/// Items a sync stores before the planner's statistics are worth renewing.
const LARGE_SYNC: usize = 1000;

/// What to store of an item's comments.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Comments {
    /// Read them from the forge.
    Read,
    /// These, and only these (none: the forge counts none).
    Given(Vec<Comment>),
    /// Unchanged since stored.
    Keep,
}

/// Forges that count an item's comments on the item itself.
fn counts_comments(forge: Forge) -> bool {
    matches!(forge, Forge::GitHub | Forge::GitLab | Forge::Gerrit)
}

fn plan(issue: &Issue, stored: Option<&StoredItem>) -> Comments {
    let counted = counts_comments(issue.forge);
    if counted && issue.comments == 0 {
        return match stored {
            Some(s) if s.comments == 0 && s.updated_at == issue.updated_at => Comments::Keep,
            _ => Comments::Given(Vec::new()),
        };
    }
    match stored {
        None => Comments::Read,
        Some(s) if s.updated_at != issue.updated_at => Comments::Read,
        Some(s) if counted && i64::try_from(issue.comments).ok() != Some(s.comments) => {
            Comments::Read
        }
        Some(_) => Comments::Keep,
    }
}

/// Comments by the number of their item, each item's oldest first.
fn by_item(comments: Vec<(u64, Comment)>) -> HashMap<u64, Vec<Comment>> {
    let mut grouped: HashMap<u64, Vec<Comment>> = HashMap::new();
    for (number, comment) in comments {
        grouped.entry(number).or_default().push(comment);
    }
    for list in grouped.values_mut() {
        list.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        // One updated while the list was read comes twice.
        list.dedup_by(|a, b| a.id == b.id);
    }
    grouped
}

pub struct RepoSyncer {
    store: Store,
    directory: Arc<Directory>,
    accounts: Arc<Accounts>,
    settings: SyncSettings,
}

impl RepoSyncer {
    pub fn new(
        store: Store,
        directory: Arc<Directory>,
        accounts: Arc<Accounts>,
        settings: SyncSettings,
    ) -> Self {
        Self {
            store,
            directory,
            accounts,
            settings,
        }
    }

    /// Syncs one repository. A failure is recorded on it (what is stored
    /// stays) and returned; a repository nobody follows any more is left.
    pub async fn sync(&self, id: RepoId) -> Result<SyncReport> {
        let Some(repo) = self.store.tracked_repository(id).await? else {
            return Ok(SyncReport::default());
        };
        self.store.sync_started(id).await?;
        match self.run(&repo).await {
            Ok(report) => {
                tracing::info!(repository = %repo.path, forge = ?repo.forge, ?report, "synced");
                Ok(report)
            }
            Err(Error::Deferred { until }) => {
                let error = Error::Deferred { until };
                tracing::info!(repository = %repo.path, %until, "sync put off");
                self.store
                    .sync_deferred(id, &error.to_string(), until)
                    .await?;
                Err(error)
            }
            Err(error) => {
                tracing::warn!(repository = %repo.path, %error, "sync failed");
                self.store.sync_failed(id, &error.to_string()).await?;
                Err(error)
            }
        }
    }

    async fn run(&self, repo: &TrackedRepo) -> Result<SyncReport> {
        let (client, path) = self.reader(repo).await?;
        let full = repo.watermark.is_none()
            || repo
                .last_full_sync_at
                .is_none_or(|at| Utc::now() - at >= self.settings.full_every);
        let since = if full {
            None
        } else {
            repo.watermark.map(|w| w - self.settings.overlap)
        };
        let began = Utc::now();
        let list = client.issues(&path, since).await?;
        let stored = self.store.stored_items(repo.id).await?;
        // A full sync reads every comment anyway: one list for the
        // repository, where the forge has one, instead of one per item.
        let mut listed = if full {
            client.repository_comments(&path).await?.map(by_item)
        } else {
            None
        };
        let wanted: Vec<Comments> = list
            .items
            .iter()
            .map(|issue| match &mut listed {
                Some(listed) => {
                    let comments = listed.remove(&issue.number).unwrap_or_default();
                    // A comment written while the lists were read: read its item's.
                    if counts_comments(issue.forge) && comments.len() as u64 != issue.comments {
                        Comments::Read
                    } else {
                        Comments::Given(comments)
                    }
                }
                None => plan(issue, stored.get(&issue.number)),
            })
            .collect();
        let report = SyncReport {
            listed: list.items.len(),
            comment_lists: wanted.iter().filter(|w| **w == Comments::Read).count(),
            full,
            ..SyncReport::default()
        };
        let batch = self.settings.batch.max(1);
        let mut wanted = wanted.into_iter();
        for issues in list.items.chunks(batch) {
            let items: Vec<ItemToStore> = stream::iter(issues.iter().cloned().zip(wanted.by_ref()))
                .map(|(issue, wanted)| {
                    let client = client.clone();
                    let path = path.clone();
                    async move {
                        match wanted {
                            Comments::Read => {
                                let comments = client.comments(&path, issue.number).await?;
                                Ok::<_, Error>((issue, Some(comments)))
                            }
                            Comments::Given(comments) => Ok((issue, Some(comments))),
                            Comments::Keep => Ok((issue, None)),
                        }
                    }
                })
                .buffer_unordered(self.settings.comment_fetches.max(1))
                .try_collect()
                .await?;
            self.store.store_items(repo.id, &items).await?;
        }
        let numbers: Vec<u64> = list.items.iter().map(|i| i.number).collect();
        let watermark = list.started.unwrap_or(began);
        self.store
            .sync_finished(repo.id, watermark, full.then_some(numbers.as_slice()))
            .await?;
        if report.listed >= LARGE_SYNC {
            self.store.refresh_statistics().await?;
        }
        let (changes, reviews) = self.sync_changes(repo, &client, &path, full).await?;
        let commits = self.sync_commits(repo, &client, &path).await?;
        Ok(SyncReport {
            changes,
            reviews,
            commits,
            ..report
        })
    }

    /// Keeps the repository's pull requests and reviews, with a watermark
    /// of their own and the same rules as issues. Returns how many changes
    /// and reviews were stored.
    async fn sync_changes(
        &self,
        repo: &TrackedRepo,
        client: &Client,
        path: &str,
        full: bool,
    ) -> Result<(usize, usize)> {
        let mark = self.store.activity_marks(repo.id).await?.changes;
        let full = full || mark.is_none();
        let since = if full {
            None
        } else {
            mark.map(|w| w - self.settings.overlap)
        };
        let began = Utc::now();
        let known = self.store.known_changes(repo.id).await?;
        let list = match client.changes(path, since, &known).await? {
            Listing::Read(list) => list,
            Listing::Unavailable(reason) => {
                self.store
                    .activity_unavailable(repo.id, ActivityList::Changes, &reason)
                    .await?;
                return Ok((0, 0));
            }
        };
        // A change is stored with its reviews in one transaction: a change
        // stored is known, and a known change's reviews are not read again.
        let mut reviews: HashMap<u64, Vec<ReviewRecord>> = HashMap::new();
        for review in &list.reviews {
            reviews
                .entry(review.change)
                .or_default()
                .push(review.clone());
        }
        let batch = self.settings.batch.max(1);
        for changes in list.changes.chunks(batch) {
            let theirs: Vec<ReviewRecord> = changes
                .iter()
                .filter_map(|c| reviews.remove(&c.number))
                .flatten()
                .collect();
            self.store.store_changes(repo.id, changes, &theirs).await?;
        }
        // Reviews listed apart from their changes (GitLab's events).
        let rest: Vec<ReviewRecord> = reviews.into_values().flatten().collect();
        for reviews in rest.chunks(batch * 10) {
            self.store.store_changes(repo.id, &[], reviews).await?;
        }
        self.store
            .activity_synced(
                repo.id,
                ActivityList::Changes,
                list.started.unwrap_or(began),
                full.then_some(list.listed.as_slice()),
            )
            .await?;
        Ok((list.changes.len(), list.reviews.len()))
    }

    /// Keeps the default branch's commits since the watermark (all, the
    /// first time). Returns how many were read.
    async fn sync_commits(&self, repo: &TrackedRepo, client: &Client, path: &str) -> Result<usize> {
        let mark = self.store.activity_marks(repo.id).await?.commits;
        let since = mark.map(|w| w - self.settings.overlap);
        let began = Utc::now();
        let list = match client.commits(path, since).await? {
            Listing::Read(list) => list,
            Listing::Unavailable(reason) => {
                self.store
                    .activity_unavailable(repo.id, ActivityList::Commits, &reason)
                    .await?;
                return Ok(0);
            }
        };
        for commits in list.commits.chunks(COMMIT_BATCH) {
            self.store.store_commits(repo.id, commits).await?;
        }
        self.store
            .activity_synced(
                repo.id,
                ActivityList::Commits,
                list.started.unwrap_or(began),
                None,
            )
            .await?;
        Ok(list.commits.len())
    }

    /// The client to read `repo` with, and its path now (after a rename).
    async fn reader(&self, repo: &TrackedRepo) -> Result<(Arc<Client>, String)> {
        let (_, endpoint) = self.directory.endpoint(repo.forge, Some(&repo.instance))?;
        // Without a token of its own the installation reads anonymously
        // (60 requests an hour on GitHub): a subscriber's token reads public
        // repositories instead, when one can.
        if endpoint.token.is_none() && !repo.private {
            for subscriber in self.store.subscribers(repo.id).await? {
                if let Some((client, info)) = self.access_of(repo, &subscriber, false).await?
                    && !info.private
                {
                    self.seen(repo, &info).await?;
                    return Ok((client, info.path));
                }
            }
        }
        let installation = self.directory.client_at(repo.forge, Some(&repo.instance))?;
        match installation.repository(&repo.path).await {
            Ok(info) if !info.private => {
                if repo.private {
                    // Public now: everyone subscribed may see it again.
                    self.store.clear_lost_access(repo.id).await?;
                }
                self.seen(repo, &info).await?;
                Ok((installation, info.path))
            }
            // Private, or invisible to the installation: each subscriber's
            // own token decides, and one that reads it reads for everyone
            // whose token can too.
            Ok(_) | Err(Error::NotFound { .. }) => self.private_reader(repo).await,
            Err(other) => Err(other),
        }
    }

    async fn private_reader(&self, repo: &TrackedRepo) -> Result<(Arc<Client>, String)> {
        let mut reader: Option<(Arc<Client>, RepoInfo)> = None;
        for subscriber in self.store.subscribers(repo.id).await? {
            if let Some(found) = self.access_of(repo, &subscriber, true).await? {
                self.store
                    .set_lost_access(subscriber.user, repo.id, None)
                    .await?;
                reader.get_or_insert(found);
            }
        }
        let (client, info) = reader.ok_or_else(|| {
            Error::Denied(format!(
                "no subscriber's {} account can read {} (it is private, or gone)",
                repo.forge.name(),
                repo.path
            ))
        })?;
        self.seen(repo, &info).await?;
        Ok((client, info.path))
    }

    /// A client with the subscriber's token if it reads the repository. A
    /// token the forge refuses marks its account; for a `private`
    /// repository, a subscriber who cannot read it is told why.
    async fn access_of(
        &self,
        repo: &TrackedRepo,
        subscriber: &Subscriber,
        private: bool,
    ) -> Result<Option<(Arc<Client>, RepoInfo)>> {
        let lost = |problem: String| async move {
            if private {
                self.store
                    .set_lost_access(subscriber.user, repo.id, Some(&problem))
                    .await?;
            }
            Ok(None)
        };
        let Some(account) = (match subscriber.account {
            Some(id) => self.store.account(id).await?,
            None => None,
        }) else {
            return lost(format!(
                "{} is private: subscribe with a linked {} account that can read it",
                repo.path,
                repo.forge.name()
            ))
            .await;
        };
        let token = match self.accounts.token(&account).await {
            Ok(token) => token,
            Err(error @ (Error::Refused { .. } | Error::Secret(_))) => {
                return lost(error.to_string()).await;
            }
            Err(other) => return Err(other),
        };
        let client = self
            .directory
            .client_with_token(repo.forge, &repo.instance, &token)?;
        match client.repository(&repo.path).await {
            Ok(info) => Ok(Some((client, info))),
            Err(Error::NotFound { .. }) => {
                lost(format!(
                    "your {} account {} can no longer read {}",
                    repo.forge.name(),
                    account.linked.username,
                    repo.path
                ))
                .await
            }
            Err(Error::Refused { .. }) => {
                self.accounts
                    .refused(&account, "revoked or expired")
                    .await?;
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Keeps what the forge says of the repository (its name after a
    /// rename, whether it is private).
    async fn seen(&self, repo: &TrackedRepo, info: &RepoInfo) -> Result<()> {
        if info.path != repo.path || info.private != repo.private || info.url != repo.url {
            // A forge's answer names the path later requests go to.
            super::locate::check_path(&info.path)?;
            self.store.update_repository(repo.id, info).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone};
    use model::contribution::Status;

    fn issue(forge: Forge, comments: u64, updated_at: DateTime<Utc>) -> Issue {
        Issue {
            forge,
            instance: "x".into(),
            repository: "o/r".into(),
            number: 1,
            title: String::new(),
            body: String::new(),
            url: String::new(),
            status: Status::Open,
            author: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            comments,
            created_at: updated_at,
            updated_at,
            closed_at: None,
        }
    }

    #[test]
    fn comments_are_read_only_when_they_may_have_changed() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let later = at + Duration::minutes(1);
        let stored = |comments, updated_at| StoredItem {
            updated_at,
            comments,
        };
        // Counted on the item (GitHub): new, changed count, changed time.
        assert_eq!(plan(&issue(Forge::GitHub, 2, at), None), Comments::Read);
        assert_eq!(
            plan(&issue(Forge::GitHub, 3, at), Some(&stored(2, at))),
            Comments::Read
        );
        assert_eq!(
            plan(&issue(Forge::GitHub, 2, later), Some(&stored(2, at))),
            Comments::Read
        );
        assert_eq!(
            plan(&issue(Forge::GitHub, 2, at), Some(&stored(2, at))),
            Comments::Keep
        );
        // None counted: nothing to read, and stored ones go.
        assert_eq!(
            plan(&issue(Forge::GitLab, 0, at), None),
            Comments::Given(Vec::new())
        );
        assert_eq!(
            plan(&issue(Forge::GitLab, 0, at), Some(&stored(1, at))),
            Comments::Given(Vec::new())
        );
        assert_eq!(
            plan(&issue(Forge::GitLab, 0, at), Some(&stored(0, at))),
            Comments::Keep
        );
        // Not counted on the item (Bitbucket): read when new or updated.
        assert_eq!(plan(&issue(Forge::Bitbucket, 0, at), None), Comments::Read);
        assert_eq!(
            plan(&issue(Forge::Bitbucket, 0, at), Some(&stored(4, at))),
            Comments::Keep
        );
        assert_eq!(
            plan(&issue(Forge::Bitbucket, 0, later), Some(&stored(4, at))),
            Comments::Read
        );
    }
}
