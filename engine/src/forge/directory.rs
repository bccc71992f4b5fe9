//! The configured forges and their clients: one client per endpoint for
//! the installation's own token (shared by everything that reads with it,
//! so one budget and one bound on concurrency), and one per person's token
//! for what only that person may read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use model::forge::Forge;
use model::query::AccountSpec;
use sha2::{Digest, Sha256};

use super::governor::Governor;
use super::http::Limits;
use super::{Client, Endpoint, instance_of};
use crate::error::{Error, Result};

/// Clients for people's tokens kept at most; past it they are built anew.
const TOKEN_CLIENTS: usize = 1024;

/// An endpoint's index and a digest of a token (never the token itself).
type TokenKey = (usize, [u8; 32]);

/// How the rate-limit table names a token: a digest's first characters,
/// never the token; `anonymous` without one.
pub fn token_key(token: Option<&str>) -> String {
    token.map_or_else(
        || "anonymous".to_owned(),
        |token| digest_key(&Sha256::digest(token.as_bytes())),
    )
}

fn digest_key(digest: &[u8]) -> String {
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// What one client's answers last said of its token's budgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientStanding {
    pub forge: Forge,
    pub instance: String,
    /// See [`token_key`].
    pub token_key: String,
    pub standings: Vec<super::governor::Standing>,
}

pub struct Directory {
    endpoints: Vec<Endpoint>,
    limits: Box<dyn Fn() -> Limits + Send + Sync>,
    clients: Mutex<HashMap<usize, Arc<Client>>>,
    token_clients: Mutex<HashMap<TokenKey, Arc<Client>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Directory {
    pub fn new(endpoints: Vec<Endpoint>) -> Self {
        Self::with_limits(endpoints, || Limits::new(Arc::new(Governor::default())))
    }

    /// `limits` makes the limits of each client.
    pub fn with_limits(
        endpoints: Vec<Endpoint>,
        limits: impl Fn() -> Limits + Send + Sync + 'static,
    ) -> Self {
        Self {
            endpoints,
            limits: Box::new(limits),
            clients: Mutex::new(HashMap::new()),
            token_clients: Mutex::new(HashMap::new()),
        }
    }

    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The endpoint of `forge` at `instance` (a host as [`instance_of`]
    /// names it; `None`: the forge's first).
    pub fn endpoint(&self, forge: Forge, instance: Option<&str>) -> Result<(usize, &Endpoint)> {
        self.endpoints
            .iter()
            .enumerate()
            .find(|(_, e)| {
                e.forge == forge
                    && instance
                        .is_none_or(|wanted| instance_of(&e.api_url).eq_ignore_ascii_case(wanted))
            })
            .ok_or_else(|| {
                Error::Invalid(match instance {
                    Some(instance) => {
                        format!("no {} instance `{instance}` is configured", forge.name())
                    }
                    None => format!("no {} instance is configured", forge.name()),
                })
            })
    }

    /// What every client made so far (the installation's and people's
    /// tokens) last heard of its budgets.
    pub fn standings(&self) -> Vec<ClientStanding> {
        let standing = |index: usize, token_key: String, client: &Client| {
            let endpoint = self.endpoints.get(index)?;
            Some(ClientStanding {
                forge: endpoint.forge,
                instance: instance_of(&endpoint.api_url),
                token_key,
                standings: client.http().governor().standings(),
            })
        };
        let mut all: Vec<ClientStanding> = lock(&self.clients)
            .iter()
            .filter_map(|(index, client)| {
                let token = self.endpoints.get(*index)?.token.as_deref();
                standing(*index, token_key(token), client)
            })
            .collect();
        all.extend(
            lock(&self.token_clients)
                .iter()
                .filter_map(|((index, digest), client)| {
                    standing(*index, digest_key(digest), client)
                }),
        );
        all.retain(|c| !c.standings.is_empty());
        all
    }

    /// The client for an account's forge and instance.
    pub fn client(&self, account: &AccountSpec) -> Result<Arc<Client>> {
        self.client_at(account.forge, account.instance.as_deref())
    }

    /// The client with the installation's token for `forge` at `instance`.
    pub fn client_at(&self, forge: Forge, instance: Option<&str>) -> Result<Arc<Client>> {
        let (index, endpoint) = self.endpoint(forge, instance)?;
        let mut clients = lock(&self.clients);
        if let Some(client) = clients.get(&index) {
            return Ok(client.clone());
        }
        let client = Arc::new(Client::with_limits(endpoint, (self.limits)())?);
        clients.insert(index, client.clone());
        Ok(client)
    }

    /// A client reading `forge` at `instance` with a person's `token`: it
    /// sees what they may, and spends their budget, not the installation's.
    pub fn client_with_token(
        &self,
        forge: Forge,
        instance: &str,
        token: &str,
    ) -> Result<Arc<Client>> {
        let (index, endpoint) = self.endpoint(forge, Some(instance))?;
        let key = (index, Sha256::digest(token.as_bytes()).into());
        let mut clients = lock(&self.token_clients);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        if clients.len() >= TOKEN_CLIENTS {
            clients.clear();
        }
        let endpoint = Endpoint {
            token: Some(token.to_owned()),
            ..endpoint.clone()
        };
        let client = Arc::new(Client::with_limits(&endpoint, (self.limits)())?);
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// Saves what every client of `directories` last heard of its budgets,
/// for `GET /api/v1/rate_limit` and the other processes' governors.
pub async fn keep_standings(
    store: &crate::store::Store,
    directories: &[Arc<Directory>],
) -> Result<()> {
    for directory in directories {
        for client in directory.standings() {
            store
                .save_rate_limits(
                    client.forge,
                    &client.instance,
                    &client.token_key,
                    &client.standings,
                )
                .await?;
        }
    }
    Ok(())
}
