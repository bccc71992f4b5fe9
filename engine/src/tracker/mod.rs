//! The issue tracker: subscriptions to repositories on any configured
//! forge, and one list of their items per person, with its counts. Syncing
//! lives in [`sync`] and runs as durable jobs ([`crate::jobs`]).
//!
//! Everything here acts for a signed-in person (a [`UserId`] the server
//! took from their session) and only ever shows them their own.

pub mod locate;
pub mod sync;

use std::sync::Arc;

use chrono::Utc;
use model::forge::Forge;
use model::tracker::{
    IssueCounts, IssueFilter, IssuePage, ReadablePage, ReadableRepo, Subscription, SyncState,
};

use crate::accounts::Accounts;
use crate::answers::{Answers, json_bytes};
use crate::error::{Error, Result};
use crate::forge::directory::Directory;
use crate::forge::{Client, RepoInfo};
use crate::jobs::SyncQueue;
use crate::store::accounts::{AccountId, StoredAccount, UserId};
use crate::store::issue_list::cursor_of;
use crate::store::tracker::{RepoId, SubscriptionRow};
use crate::store::{Store, bigint, unsigned};

/// Items per page of the list.
pub const PAGE: i64 = 50;
/// Repositories per page of the subscription manager.
pub const READABLE_PAGE: i64 = 20;
/// Lists of readable repositories older than this are read again.
const READABLE_FRESH_FOR: chrono::Duration = chrono::Duration::hours(1);
/// Counts remembered at most (per person and filters).
const COUNTS_KEPT: usize = 4096;
const COUNTS_BYTES: usize = 4 * 1024 * 1024;

pub struct Tracker {
    store: Store,
    directory: Arc<Directory>,
    accounts: Arc<Accounts>,
    queue: SyncQueue,
    /// Counts under the store's generation they were read in.
    counts: Answers<(UserId, IssueFilter), IssueCounts>,
}

fn subscription(row: SubscriptionRow) -> Result<Subscription> {
    let repo = row.repo;
    let state = if repo.sync_started_at.is_some() {
        SyncState::Syncing
    } else if repo.last_error.is_some() {
        SyncState::Failed
    } else if repo.last_synced_at.is_none() {
        SyncState::Waiting
    } else {
        SyncState::Synced
    };
    Ok(Subscription {
        repo_id: repo.id,
        forge: repo.forge,
        instance: repo.instance,
        repository: repo.path,
        url: repo.url,
        private: repo.private,
        state,
        last_synced_at: repo.last_synced_at,
        items: unsigned(row.items)?,
        comments: unsigned(row.comments)?,
        readable: row.lost_access.is_none(),
        problem: row.lost_access.or(repo.last_error),
    })
}

impl Tracker {
    pub fn new(
        store: Store,
        directory: Arc<Directory>,
        accounts: Arc<Accounts>,
        queue: SyncQueue,
    ) -> Self {
        Self {
            store,
            directory,
            accounts,
            queue,
            counts: Answers::new(COUNTS_KEPT, COUNTS_BYTES, json_bytes, None),
        }
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn queue(&self) -> &SyncQueue {
        &self.queue
    }

    /// A client with the account's own token.
    async fn client_of(&self, account: &StoredAccount) -> Result<Arc<Client>> {
        let token = self.accounts.token(account).await?;
        self.directory
            .client_with_token(account.linked.forge, &account.linked.instance, &token)
    }

    /// Looks a repository up with an account's token; a refused token
    /// marks the account.
    async fn look_up(&self, account: &StoredAccount, path: &str) -> Result<RepoInfo> {
        let client = self.client_of(account).await?;
        match client.repository(path).await {
            Err(Error::Refused { message, .. }) => Err(Error::Denied(
                self.accounts.refused(account, &message).await?,
            )),
            other => other,
        }
    }

    /// Tracks the repository, subscribes the person (through `account`,
    /// which proved they may read it, if any) and queues its first sync.
    async fn follow(
        &self,
        user: UserId,
        located: (Forge, &str),
        info: &RepoInfo,
        account: Option<AccountId>,
    ) -> Result<RepoId> {
        let (forge, instance) = located;
        let repo = self.store.track_repository(forge, instance, info).await?;
        self.store.subscribe(user, repo, account).await?;
        self.queue.enqueue(repo, true).await?;
        Ok(repo)
    }

    /// Subscribes to a repository one of the person's accounts may read.
    pub async fn subscribe_readable(
        &self,
        user: UserId,
        account: AccountId,
        path: &str,
    ) -> Result<RepoId> {
        let account = self.accounts.account_of(user, account).await?;
        let info = self.look_up(&account, path).await?;
        self.follow(
            user,
            (account.linked.forge, &account.linked.instance),
            &info,
            Some(account.id),
        )
        .await
    }

    /// Subscribes to the repository an address (or `forge:path`) names. A
    /// private one only through one of the person's own accounts that can
    /// read it: never through the installation's token.
    pub async fn subscribe_address(&self, user: UserId, input: &str) -> Result<RepoId> {
        let located = locate::locate(&self.directory, input)?;
        let accounts = self.store.accounts_of(user).await?;
        for account in accounts.iter().filter(|a| {
            a.linked.forge == located.forge
                && a.linked.instance == located.instance
                && a.problem.is_none()
        }) {
            match self.look_up(account, &located.path).await {
                Ok(info) => {
                    let at = (account.linked.forge, account.linked.instance.as_str());
                    return self.follow(user, at, &info, Some(account.id)).await;
                }
                Err(Error::NotFound { .. } | Error::Denied(_)) => {}
                Err(other) => return Err(other),
            }
        }
        let installation = self
            .directory
            .client_at(located.forge, Some(&located.instance))?;
        let private = || {
            Error::Denied(format!(
                "{} on {} is private, or none of your accounts can read it: link a {} account that can",
                located.path,
                located.instance,
                located.forge.name()
            ))
        };
        match installation.repository(&located.path).await {
            Ok(info) if !info.private => {
                self.follow(user, (located.forge, &located.instance), &info, None)
                    .await
            }
            Ok(_) => Err(private()),
            Err(Error::NotFound { .. }) if located.forge.hosts_code() => Err(Error::NotFound {
                what: format!(
                    "{} on {} (if it is private, link a {} account that can read it)",
                    located.path,
                    located.instance,
                    located.forge.name()
                ),
            }),
            Err(other) => Err(other),
        }
    }

    pub async fn unsubscribe(&self, user: UserId, repo: RepoId) -> Result<()> {
        if self.store.unsubscribe(user, repo).await? {
            Ok(())
        } else {
            Err(Error::Denied(
                "you do not subscribe to that repository".into(),
            ))
        }
    }

    /// Queues a sync of one of the person's repositories before the others.
    pub async fn sync_now(&self, user: UserId, repo: RepoId) -> Result<()> {
        if !self.store.is_subscribed(user, repo).await? {
            return Err(Error::Denied(
                "you do not subscribe to that repository".into(),
            ));
        }
        self.queue.enqueue(repo, true).await
    }

    /// Queues, ahead of the others, a sync of each of the person's
    /// subscriptions that lost access: after they sign in again, that sync
    /// (and only it) finds whether their new token reads the repository.
    pub async fn recheck_lost_access(&self, user: UserId) -> Result<()> {
        for row in self.store.subscriptions(user).await? {
            if row.lost_access.is_some() {
                self.queue.enqueue(row.repo.id, true).await?;
            }
        }
        Ok(())
    }

    pub async fn subscriptions(&self, user: UserId) -> Result<Vec<Subscription>> {
        self.store
            .subscriptions(user)
            .await?
            .into_iter()
            .map(subscription)
            .collect()
    }

    /// Reads again, from the forges, what each of the person's accounts may
    /// read (all of them, or only lists older than an hour). Returns when
    /// the oldest of the lists now stored was read.
    pub async fn refresh_readable(
        &self,
        user: UserId,
        all: bool,
    ) -> Result<Option<chrono::DateTime<Utc>>> {
        let stale_before = Utc::now() - READABLE_FRESH_FOR;
        let mut listed = Vec::new();
        for account in self.store.accounts_of(user).await? {
            let fresh = account.repos_listed_at.is_some_and(|at| at > stale_before);
            if account.problem.is_some() || (fresh && !all) || !account.linked.forge.hosts_code() {
                listed.extend(account.repos_listed_at);
                continue;
            }
            let client = self.client_of(&account).await?;
            match client.readable_repositories().await {
                Ok(repos) => {
                    self.store.replace_readable(account.id, &repos).await?;
                    listed.push(Utc::now());
                }
                Err(Error::Refused { message, .. }) => {
                    self.accounts.refused(&account, &message).await?;
                }
                Err(other) => return Err(other),
            }
        }
        Ok(listed.into_iter().min())
    }

    /// A page (from 1) of the repositories the person's accounts may read,
    /// matching `search`.
    pub async fn readable(&self, user: UserId, search: &str, page: u32) -> Result<ReadablePage> {
        let listed_at = self.refresh_readable(user, false).await?;
        let page = page.max(1);
        let offset = i64::from(page - 1) * READABLE_PAGE;
        let (rows, total) = self
            .store
            .readable(user, search, offset, READABLE_PAGE)
            .await?;
        Ok(ReadablePage {
            items: rows
                .into_iter()
                .map(|r| ReadableRepo {
                    account_id: r.account_id,
                    forge: r.forge,
                    repository: r.path,
                    url: r.url,
                    private: r.private,
                    description: r.description,
                    subscribed: r.subscribed,
                })
                .collect(),
            total: unsigned(total)?,
            page,
            pages: unsigned(((total + READABLE_PAGE - 1) / READABLE_PAGE).max(1))?,
            listed_at,
        })
    }

    /// A page of the person's list, newest activity first.
    pub async fn list(
        &self,
        user: UserId,
        filter: &IssueFilter,
        after: Option<&str>,
    ) -> Result<IssuePage> {
        let items = self.store.list_issues(user, filter, after, PAGE).await?;
        let next = (bigint(items.len())? == PAGE)
            .then(|| items.last().map(cursor_of))
            .flatten();
        Ok(IssuePage {
            items,
            next,
            as_of: Utc::now(),
        })
    }

    /// The list's counts, remembered until the data under them changes.
    pub async fn counts(&self, user: UserId, filter: &IssueFilter) -> Result<IssueCounts> {
        let generation = self.store.generation();
        let key = (user, filter.clone());
        if let Some(counts) = self.counts.get(&key, generation) {
            return Ok(counts);
        }
        let counts = self.store.issue_counts(user, filter).await?;
        self.counts.put(key, generation, counts.clone());
        Ok(counts)
    }
}
