//! Signing in links forge accounts to a person; this is where their tokens
//! are sealed on the way in, opened (and renewed) on the way out, and
//! marked broken when the forge refuses them. Tokens never leave the
//! engine: callers get clients, not tokens.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use model::forge::Forge;
use model::tracker::LinkedAccount;

use crate::error::{Error, Result};
use crate::forge::ForgeUser;
use crate::secrets::Cipher;
use crate::store::Store;
use crate::store::accounts::{AccountId, SealedAccount, StoredAccount, UserId};

/// OAuth tokens as a forge issued them.
#[derive(Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

// Written by hand so a token never reaches a log line.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &"<redacted>")
            .field("refresh", &self.refresh.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

pub type Renewal<'a> = Pin<Box<dyn Future<Output = Result<Tokens>> + Send + 'a>>;

/// Trades a refresh token for new tokens at the forge's OAuth server. The
/// server's OAuth module provides it: the engine knows no client secrets.
/// [`Error::Refused`] means the forge said no (the account needs signing
/// in again); any other error, that it could not be asked.
pub trait Renew: Send + Sync {
    fn renew<'a>(&'a self, forge: Forge, instance: &'a str, refresh: &'a str) -> Renewal<'a>;
}

/// Tokens this close to expiring are renewed before use.
const RENEW_BEFORE: Duration = Duration::minutes(5);

pub struct Accounts {
    store: Store,
    cipher: Cipher,
    renew: Option<Arc<dyn Renew>>,
}

/// What a sealed token is bound to: which account, which field.
fn context(forge: Forge, instance: &str, forge_user_id: &str, field: &str) -> String {
    format!("{}/{instance}/{forge_user_id}/{field}", forge.key())
}

impl Accounts {
    pub fn new(store: Store, cipher: Cipher, renew: Option<Arc<dyn Renew>>) -> Self {
        Self {
            store,
            cipher,
            renew,
        }
    }

    /// Links the forge account `user` to the person signed in as `current`
    /// (or to whoever it is linked to, or to a new person) and returns the
    /// person. The tokens are stored sealed.
    pub async fn sign_in(
        &self,
        current: Option<UserId>,
        forge: Forge,
        instance: &str,
        user: &ForgeUser,
        tokens: &Tokens,
    ) -> Result<UserId> {
        let seal = |value: &str, field: &str| {
            self.cipher
                .seal(value, &context(forge, instance, &user.id, field))
        };
        let account = SealedAccount {
            forge,
            instance: instance.to_owned(),
            forge_user_id: user.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            access_token: seal(&tokens.access, "access")?,
            refresh_token: tokens
                .refresh
                .as_deref()
                .map(|r| seal(r, "refresh"))
                .transpose()?,
            expires_at: tokens.expires_at,
        };
        let (person, _) = self.store.link_account(current, &account).await?;
        Ok(person)
    }

    /// A person's accounts as their pages show them; `None` when the person
    /// no longer exists (their session outlived them).
    pub async fn linked(&self, user: UserId) -> Result<Option<Vec<LinkedAccount>>> {
        let accounts = self.store.accounts_of(user).await?;
        if accounts.is_empty() && !self.store.user_exists(user).await? {
            return Ok(None);
        }
        Ok(Some(
            accounts
                .into_iter()
                .map(|a| LinkedAccount {
                    id: a.id,
                    forge: a.linked.forge,
                    instance: a.linked.instance,
                    username: a.linked.username,
                    display_name: a.linked.display_name,
                    problem: a.problem,
                })
                .collect(),
        ))
    }

    /// One of `user`'s accounts, or [`Error::Denied`].
    pub async fn account_of(&self, user: UserId, account: AccountId) -> Result<StoredAccount> {
        match self.store.account(account).await? {
            Some(found) if found.user_id == user => Ok(found),
            _ => Err(Error::Denied("that account is not linked to you".into())),
        }
    }

    /// The account's access token, renewed first when it is about to
    /// expire and the forge gave a refresh token. A renewal the forge
    /// refuses marks the account broken.
    pub async fn token(&self, account: &StoredAccount) -> Result<String> {
        if let Some(problem) = &account.problem {
            return Err(Error::Refused {
                url: String::new(),
                message: format!(
                    "the {} account {} needs signing in again: {problem}",
                    account.linked.forge.name(),
                    account.linked.username
                ),
            });
        }
        let context = |field| {
            context(
                account.linked.forge,
                &account.linked.instance,
                &account.linked.forge_user_id,
                field,
            )
        };
        let expiring = account
            .linked
            .expires_at
            .is_some_and(|at| at - RENEW_BEFORE <= Utc::now());
        if let (true, Some(sealed), Some(renew)) =
            (expiring, &account.linked.refresh_token, &self.renew)
        {
            let refresh = self.cipher.open(sealed, &context("refresh"))?;
            match renew
                .renew(account.linked.forge, &account.linked.instance, &refresh)
                .await
            {
                Ok(tokens) => {
                    let access = self.cipher.seal(&tokens.access, &context("access"))?;
                    let refresh = tokens
                        .refresh
                        .as_deref()
                        .map(|r| self.cipher.seal(r, &context("refresh")))
                        .transpose()?;
                    self.store
                        .renew_tokens(account.id, &access, refresh.as_deref(), tokens.expires_at)
                        .await?;
                    return Ok(tokens.access);
                }
                // Only the forge saying no breaks the account; a renewal
                // that could not be asked is tried again at the next use.
                Err(Error::Refused { message, .. }) => {
                    let problem = format!("its token expired and could not be renewed ({message})");
                    self.broken(account.id, &problem).await?;
                    return Err(Error::Refused {
                        url: String::new(),
                        message: problem,
                    });
                }
                Err(other) => return Err(other),
            }
        }
        self.cipher
            .open(&account.linked.access_token, &context("access"))
    }

    /// Records that the forge refused the account's token (saying `why`),
    /// and returns the problem as the person is told it.
    pub async fn refused(&self, account: &StoredAccount, why: &str) -> Result<String> {
        let problem = format!(
            "{} refused the token of {} ({why}): sign in with it again",
            account.linked.forge.name(),
            account.linked.username
        );
        self.broken(account.id, &problem).await?;
        Ok(problem)
    }

    /// Records that the forge refused the account's token.
    pub async fn broken(&self, account: AccountId, problem: &str) -> Result<()> {
        tracing::warn!(%account, problem, "a linked account's token stopped working");
        self.store.account_broken(account, problem).await
    }

    /// Unlinks an account; returns whether the person is left.
    pub async fn unlink(&self, user: UserId, account: AccountId) -> Result<bool> {
        self.store.unlink_account(user, account).await
    }
}
