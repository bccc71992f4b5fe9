//! Serving a world over HTTP: one loopback listener per forge, so each forge
//! has its own base URL exactly as a client would configure it.

pub mod budget;
pub mod faults;
pub mod paging;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::world::{Forge, World};
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
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    pub github: GitHubLimits,
    /// Faults in force from the start; `PUT /_sim/faults` changes them.
    pub faults: Faults,
}

/// What every handler of every forge reads.
pub struct SimState {
    pub world: Arc<World>,
    pub config: SimConfig,
    pub budgets: Budgets,
    /// The base URL of the forge this state serves, for links in bodies and headers.
    pub base_url: String,
    faults: RwLock<Faults>,
    /// Seeded, so a run with the same faults fails the same requests.
    fault_rng: Mutex<ChaCha8Rng>,
}

impl SimState {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self
            .faults
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = faults;
    }

    pub fn fault_rng(&self) -> MutexGuard<'_, ChaCha8Rng> {
        self.fault_rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tokens the simulated forges accept: any of the form `sim_…` (tests and
    /// the demo make them up freely). Anything else is a bad credential.
    pub fn token_is_valid(&self, token: &str) -> bool {
        token.starts_with("sim_") && token.len() > 4
    }
}

/// A running simulator. Dropping it leaves the servers running until the
/// runtime ends; [`Simulator::stop`] ends them at once.
pub struct Simulator {
    pub world: Arc<World>,
    urls: Vec<(Forge, String)>,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Simulator {
    /// Serves `world` on free loopback ports, one per implemented forge.
    pub async fn start(world: Arc<World>, config: SimConfig) -> std::io::Result<Self> {
        Self::start_on(
            world,
            config,
            "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
        )
        .await
    }

    /// Like [`Simulator::start`], with GitHub on `github_addr` (port 0 picks one).
    pub async fn start_on(
        world: Arc<World>,
        config: SimConfig,
        github_addr: SocketAddr,
    ) -> std::io::Result<Self> {
        let mut simulator = Self {
            world,
            urls: Vec::new(),
            stops: Vec::new(),
            tasks: Vec::new(),
        };
        let listener = TcpListener::bind(github_addr).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(SimState {
            world: simulator.world.clone(),
            faults: RwLock::new(config.faults.clone()),
            fault_rng: Mutex::new(ChaCha8Rng::seed_from_u64(0)),
            config,
            budgets: Budgets::default(),
            base_url: base_url.clone(),
        });
        let router = crate::github::router()
            .merge(crate::admin::router())
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                faults::inject,
            ))
            .with_state(state);
        simulator.serve(Forge::GitHub, listener, base_url, router);
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

    pub async fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
