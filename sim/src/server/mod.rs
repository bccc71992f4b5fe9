//! Serving a world over HTTP: one loopback listener per forge, so each forge
//! has its own base URL exactly as a client would configure it.

pub mod budget;
pub mod faults;
pub mod paging;
pub mod params;
pub mod respond;
pub mod stats;

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::world::{Forge, Id, Repo, World};
use budget::{Budgets, Limit};
use faults::Faults;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// GitHub's budgets; the defaults are github.com's.
#[derive(Debug, Clone, Copy)]
pub struct GitHubLimits {
    pub core: Limit,
    pub search: Limit,
    pub graphql: Limit,
    pub unauthenticated_core: Limit,
    pub unauthenticated_search: Limit,
    /// Answer an exhausted budget with 429 instead of 403 (GitHub uses both).
    pub exhausted_status_429: bool,
    /// Search serves at most this many results of one query (GitHub: 1,000).
    pub search_result_cap: usize,
}

impl Default for GitHubLimits {
    fn default() -> Self {
        const HOUR: Duration = Duration::from_secs(3600);
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            core: Limit {
                units: 5000,
                window: HOUR,
            },
            search: Limit {
                units: 30,
                window: MINUTE,
            },
            graphql: Limit {
                units: 5000,
                window: HOUR,
            },
            unauthenticated_core: Limit {
                units: 60,
                window: HOUR,
            },
            unauthenticated_search: Limit {
                units: 10,
                window: MINUTE,
            },
            exhausted_status_429: false,
            search_result_cap: 1000,
        }
    }
}

/// GitLab's budgets per minute; the defaults are gitlab.com's.
#[derive(Debug, Clone, Copy)]
pub struct GitLabLimits {
    pub authenticated: Limit,
    pub unauthenticated: Limit,
}

impl Default for GitLabLimits {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            authenticated: Limit {
                units: 2000,
                window: MINUTE,
            },
            unauthenticated: Limit {
                units: 500,
                window: MINUTE,
            },
        }
    }
}

/// Bitbucket Cloud's hourly budgets for `/2.0/repositories/*` (the
/// defaults are bitbucket.org's, before any scaling for large workspaces).
#[derive(Debug, Clone, Copy)]
pub struct BitbucketLimits {
    pub authenticated: Limit,
    pub anonymous: Limit,
}

impl Default for BitbucketLimits {
    fn default() -> Self {
        const HOUR: Duration = Duration::from_secs(3600);
        Self {
            authenticated: Limit {
                units: 1000,
                window: HOUR,
            },
            anonymous: Limit {
                units: 60,
                window: HOUR,
            },
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    pub github: GitHubLimits,
    pub gitlab: GitLabLimits,
    pub bitbucket: BitbucketLimits,
    /// Faults in force from the start, per forge; `PUT /_sim/faults` on a
    /// forge's listener changes that forge's.
    pub faults: std::collections::BTreeMap<Forge, Faults>,
    /// Repositories private from the start, by forge and full name;
    /// `PUT /_sim/private` changes them at run time.
    pub private_repositories: Vec<(Forge, String)>,
}

/// Per account, the repositories it starred and when.
type StarIndex = std::collections::HashMap<Id, Vec<(Id, DateTime<Utc>)>>;

/// What every handler of every forge reads.
pub struct SimState {
    pub world: Arc<World>,
    pub config: SimConfig,
    pub budgets: Budgets,
    /// The forge this state serves.
    pub forge: Forge,
    /// The base URL of the forge this state serves, for links in bodies and headers.
    pub base_url: String,
    faults: RwLock<Faults>,
    /// Seeded, so a run with the same faults fails the same requests.
    fault_rng: Mutex<ChaCha8Rng>,
    /// This forge's OAuth authorization server, with the tokens it issued.
    pub oauth: crate::oauth::Server,
    /// The instant the world is shown as of; `None`: the real clock.
    clock: RwLock<Option<DateTime<Utc>>>,
    /// Repositories only their members (and instance tokens) may read.
    private: RwLock<HashSet<Id>>,
    /// Requests served, by method and route.
    pub stats: stats::Stats,
    /// Per account, the repositories it starred and when, built on first
    /// use: a star list read page by page would scan every repository's
    /// stargazers for each page.
    stars_by_account: std::sync::OnceLock<StarIndex>,
}

impl SimState {
    /// The repositories `account` starred and when, in the world's order.
    pub fn stars_of(&self, account: Id) -> &[(Id, DateTime<Utc>)] {
        let index = self.stars_by_account.get_or_init(|| {
            let mut index = StarIndex::new();
            for repo in &self.world.repos {
                for (who, at) in &repo.stargazers {
                    index.entry(*who).or_default().push((repo.id, *at));
                }
            }
            index
        });
        index.get(&account).map_or(&[], Vec::as_slice)
    }

    /// The real time, which rate-limit windows run on.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// The instant the world's issues are shown as of (`PUT /_sim/clock`).
    pub fn as_of(&self) -> DateTime<Utc> {
        self.clock
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(Utc::now)
    }

    pub fn clock(&self) -> Option<DateTime<Utc>> {
        *self
            .clock
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set_clock(&self, at: Option<DateTime<Utc>>) {
        *self
            .clock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }

    /// The issues of repository `path` (Phabricator: tasks) as the world
    /// holds them at the clock's instant; `None` when there is no such
    /// repository.
    pub fn issue_truth(&self, path: &str) -> Option<Vec<crate::truth::IssueTruth>> {
        let repo = self.world.find_repo(self.forge, path)?;
        Some(crate::truth::issues(&self.world, repo.id, self.as_of()))
    }

    pub fn organisation_truth(
        &self,
        login: &str,
    ) -> Option<crate::truth::organisation::OrganisationTruth> {
        crate::truth::organisation::organisation(&self.world, self.forge, login, |repo| {
            self.is_private(repo)
        })
    }

    pub fn is_private(&self, repo: Id) -> bool {
        self.private
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&repo)
    }

    pub fn set_private(&self, repo: Id, private: bool) {
        let mut set = self
            .private
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if private {
            set.insert(repo);
        } else {
            set.remove(&repo);
        }
    }

    /// Whether a caller may see `repo`: anyone if it is public; if private,
    /// a token issued to one of its members, or a made-up `sim_…` token,
    /// which stands for an instance administrator's. Others are told it
    /// does not exist, as the forges do.
    pub fn can_read(&self, principal: &budget::Principal, repo: &Repo) -> bool {
        if !self.is_private(repo.id) {
            return true;
        }
        match principal {
            budget::Principal::Anonymous => false,
            budget::Principal::Token(token) => match self.token_owner(token) {
                Some(account) => self.world.is_member(account, repo),
                None => true,
            },
        }
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self
            .faults
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = faults;
    }

    pub fn fault_rng(&self) -> MutexGuard<'_, ChaCha8Rng> {
        self.fault_rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The account an access token acts for, if it was issued to one
    /// (by the simulated OAuth servers).
    pub fn token_owner(&self, token: &str) -> Option<Id> {
        self.oauth.token_owner(token)
    }

    /// Who a request with `token` is charged as; `None` for a token the
    /// forge refuses (a bad-credentials answer).
    pub fn principal(&self, token: Option<String>) -> Option<budget::Principal> {
        match token {
            None => Some(budget::Principal::Anonymous),
            Some(token) if self.token_is_valid(&token) => Some(budget::Principal::Token(token)),
            Some(_) => None,
        }
    }

    /// Tokens the simulated forges accept: any of the form `sim_…` (tests and
    /// the demo make them up freely). Anything else is a bad credential.
    pub fn token_is_valid(&self, token: &str) -> bool {
        token.starts_with("sim_") && token.len() > 4 && !self.oauth.is_revoked(token)
    }
}

/// While the clock is set, answers are dated by it (the `Date` header is
/// the forge's clock to its clients), so a client that takes its clock
/// from the forge follows the simulated time.
async fn date_of_clock(
    axum::extract::State(state): axum::extract::State<Arc<SimState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    if let Some(at) = state.clock() {
        let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        if let Ok(value) = axum::http::HeaderValue::from_str(&date) {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, value);
        }
    }
    response
}

/// A token each simulated forge accepts, for the demo and examples:
/// Phabricator insists on its own 32-character `api-` format.
pub fn demo_token(forge: Forge) -> &'static str {
    match forge {
        Forge::Phabricator => "api-simdemosimdemosimdemosimdemo",
        _ => "sim_demo",
    }
}

/// The routes of each forge.
fn forge_routes(forge: Forge) -> axum::Router<Arc<SimState>> {
    match forge {
        Forge::GitHub => crate::github::router(),
        Forge::GitLab => crate::gitlab::router(),
        Forge::Gerrit => crate::gerrit::router(),
        Forge::Bitbucket => crate::bitbucket::router(),
        Forge::Phabricator => crate::phabricator::router(),
    }
}

/// A running simulator. Dropping it leaves the servers running until the
/// runtime ends; [`Simulator::stop`] ends them at once.
pub struct Simulator {
    pub world: Arc<World>,
    urls: Vec<(Forge, String)>,
    states: Vec<Arc<SimState>>,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Simulator {
    /// Serves `world` on free loopback ports, one per implemented forge.
    pub async fn start(world: Arc<World>, config: SimConfig) -> std::io::Result<Self> {
        Self::start_on(world, config, IpAddr::from([127, 0, 0, 1]), 0).await
    }

    /// Like [`Simulator::start`] on `ip`. With `first_port` 0 every forge gets
    /// a free port; otherwise the forges take consecutive ports from it, in
    /// the order of [`Forge::ALL`] (GitHub first).
    pub async fn start_on(
        world: Arc<World>,
        config: SimConfig,
        ip: IpAddr,
        first_port: u16,
    ) -> std::io::Result<Self> {
        let mut simulator = Self {
            world,
            urls: Vec::new(),
            states: Vec::new(),
            stops: Vec::new(),
            tasks: Vec::new(),
        };
        for (offset, forge) in Forge::ALL.into_iter().enumerate() {
            let routes = forge_routes(forge);
            let port = if first_port == 0 {
                0
            } else {
                first_port.saturating_add(u16::try_from(offset).unwrap_or(u16::MAX))
            };
            let listener = TcpListener::bind(SocketAddr::new(ip, port)).await?;
            let base_url = format!("http://{}", listener.local_addr()?);
            let private = config
                .private_repositories
                .iter()
                .filter(|(f, _)| *f == forge)
                .filter_map(|(_, name)| simulator.world.find_repo(forge, name).map(|r| r.id))
                .collect();
            let state = Arc::new(SimState {
                world: simulator.world.clone(),
                clock: RwLock::new(None),
                private: RwLock::new(private),
                stats: stats::Stats::default(),
                stars_by_account: std::sync::OnceLock::new(),
                forge,
                faults: RwLock::new(config.faults.get(&forge).cloned().unwrap_or_default()),
                fault_rng: Mutex::new(ChaCha8Rng::seed_from_u64(offset as u64)),
                config: config.clone(),
                budgets: Budgets::default(),
                base_url: base_url.clone(),
                oauth: crate::oauth::Server::default(),
            });
            simulator.states.push(state.clone());
            let router = routes
                .merge(crate::oauth::router(forge))
                .merge(crate::admin::router())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    faults::inject,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    stats::count,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    date_of_clock,
                ))
                .with_state(state);
            simulator.serve(forge, listener, base_url, router);
        }
        Ok(simulator)
    }

    fn serve(
        &mut self,
        forge: Forge,
        listener: TcpListener,
        base_url: String,
        router: axum::Router,
    ) {
        let (stop, stopped) = oneshot::channel::<()>();
        self.tasks.push(tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                eprintln!("simulated {forge:?} stopped: {error}");
            }
        }));
        self.stops.push(stop);
        self.urls.push((forge, base_url));
    }

    /// The base URL a client of `forge` is configured with, if it is served.
    pub fn url(&self, forge: Forge) -> Option<&str> {
        self.urls
            .iter()
            .find(|(f, _)| *f == forge)
            .map(|(_, url)| url.as_str())
    }

    fn state(&self, forge: Forge) -> Option<&SimState> {
        self.states
            .iter()
            .find(|s| s.forge == forge)
            .map(AsRef::as_ref)
    }

    /// An access token `forge`'s OAuth server issues to `username`, as if
    /// they had approved a sign-in (for tests about what comes after it).
    pub fn issue_token(&self, forge: Forge, username: &str) -> Option<String> {
        let account = self.world.find_account(forge, username)?;
        Some(self.state(forge)?.oauth.issue_access_token(account.id))
    }

    /// What `PUT /_sim/clock` does on `forge`'s listener: its issues are
    /// shown as they stood at `at`; `None` follows the real clock again.
    pub fn set_clock(&self, forge: Forge, at: Option<DateTime<Utc>>) {
        if let Some(state) = self.state(forge) {
            state.set_clock(at);
        }
    }

    /// What `PUT /_sim/faults` does on `forge`'s listener.
    pub fn set_faults(&self, forge: Forge, faults: Faults) {
        if let Some(state) = self.state(forge) {
            state.set_faults(faults);
        }
    }

    /// Units each rate-limit window of `forge`'s `resource` budget used for
    /// `token` (anonymous: `None`), oldest first.
    pub fn budget_usage(
        &self,
        forge: Forge,
        token: Option<&str>,
        resource: &'static str,
    ) -> Vec<u32> {
        let principal = match token {
            Some(token) => budget::Principal::Token(token.to_owned()),
            None => budget::Principal::Anonymous,
        };
        self.state(forge)
            .map(|s| s.budgets.usage(&principal, resource))
            .unwrap_or_default()
    }

    /// Requests `forge` has answered so far (what `GET /_sim/stats` counts).
    pub fn requests(&self, forge: Forge) -> u64 {
        self.state(forge).map_or(0, |s| s.stats.counts().requests)
    }

    /// What `GET /_sim/truth/issues?repository=<path>` answers on
    /// `forge`'s listener; `None` when there is no such repository.
    /// What a health check of `login` on `forge` must answer.
    pub fn organisation_truth(
        &self,
        forge: Forge,
        login: &str,
    ) -> Option<crate::truth::organisation::OrganisationTruth> {
        self.state(forge)?.organisation_truth(login)
    }

    pub fn issue_truth(&self, forge: Forge, path: &str) -> Option<Vec<crate::truth::IssueTruth>> {
        self.state(forge)?.issue_truth(path)
    }

    pub async fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
