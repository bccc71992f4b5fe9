//! The forges Tally reads: the configured ones, or, with none configured,
//! a small simulated world served in-process (the demo).

use std::sync::Arc;

use engine::forge::{Endpoint, Forges};
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};
use sim::world::{WorldConfig, generate};

use crate::auth::oauth::OAuthApp;
use crate::config::ForgeConfig;
use crate::error::ServerError;

/// The forges, the OAuth apps people sign in through, and the simulator
/// behind them when they are the demo's.
pub struct ForgeSetup {
    pub forges: Forges,
    pub sign_in: Vec<OAuthApp>,
    pub demo: Option<Simulator>,
}

/// The busiest GitHub and GitLab accounts of the demo world, as specs to try.
fn busiest_accounts(world: &sim::world::World) -> Vec<String> {
    let mut commits = std::collections::HashMap::new();
    for commit in &world.commits {
        *commits.entry(commit.author).or_insert(0usize) += 1;
    }
    [Forge::GitHub, Forge::GitLab]
        .into_iter()
        .filter_map(|forge| {
            let busiest = world
                .accounts
                .iter()
                .filter(|a| a.forge == forge && !a.deleted)
                .max_by_key(|a| commits.get(&a.id).copied().unwrap_or(0))?;
            Some(format!("{}:{}", forge.key(), busiest.username))
        })
        .collect()
}

pub async fn configure(config: &ForgeConfig) -> Result<ForgeSetup, ServerError> {
    let configured = configured_forges(config)?;
    if !configured.forges.endpoints.is_empty() {
        return Ok(configured);
    }
    demo().await
}

/// The forges named in the configuration, with the OAuth apps of those
/// that have one.
fn configured_forges(config: &ForgeConfig) -> Result<ForgeSetup, ServerError> {
    let forges = [
        (Forge::GitHub, &config.github_api_url, &config.github_token),
        (Forge::GitLab, &config.gitlab_url, &config.gitlab_token),
        (
            Forge::Bitbucket,
            &config.bitbucket_api_url,
            &config.bitbucket_token,
        ),
        (Forge::Gerrit, &config.gerrit_url, &config.gerrit_token),
        (
            Forge::Phabricator,
            &config.phabricator_url,
            &config.phabricator_token,
        ),
    ];
    let clients = [
        (
            Forge::GitHub,
            &config.github_client_id,
            &config.github_client_secret,
        ),
        (
            Forge::GitLab,
            &config.gitlab_client_id,
            &config.gitlab_client_secret,
        ),
        (
            Forge::Bitbucket,
            &config.bitbucket_client_id,
            &config.bitbucket_client_secret,
        ),
    ];
    let mut endpoints = Vec::new();
    let mut sign_in = Vec::new();
    for (forge, url, token) in forges {
        let Some(url) = url else { continue };
        let endpoint = Endpoint {
            forge,
            api_url: url.trim_end_matches('/').to_owned(),
            token: token.clone(),
            scope: Vec::new(),
        };
        if let Some((_, id, secret)) = clients.iter().find(|(f, _, _)| *f == forge)
            && let Some(id) = id
        {
            if forge != Forge::GitLab && secret.is_none() {
                return Err(ServerError::Config(format!(
                    "{} sign-in needs the client secret too (--{}-client-secret)",
                    forge.name(),
                    forge.key()
                )));
            }
            sign_in.push(OAuthApp::for_endpoint(
                &endpoint,
                id.clone(),
                (*secret).clone(),
            ));
        }
        endpoints.push(endpoint);
    }
    for (forge, id, _) in clients {
        if id.is_some() && !endpoints.iter().any(|e| e.forge == forge) {
            return Err(ServerError::Config(format!(
                "a {} client id is set but no {} URL: set --{}-{}",
                forge.name(),
                forge.name(),
                forge.key(),
                if forge == Forge::GitLab {
                    "url"
                } else {
                    "api-url"
                }
            )));
        }
    }
    Ok(ForgeSetup {
        forges: Forges {
            endpoints,
            demo: false,
            examples: Vec::new(),
            organisation_examples: Vec::new(),
        },
        sign_in,
        demo: None,
    })
}

/// The web address of the organisation with the most repositories on each
/// forge a health check reads.
fn biggest_organisations(world: &sim::world::World, endpoints: &[Endpoint]) -> Vec<String> {
    endpoints
        .iter()
        .filter(|e| engine::health_check::checks(e.forge))
        .filter_map(|endpoint| {
            let org = world
                .orgs
                .iter()
                .filter(|o| o.forge == endpoint.forge)
                .max_by_key(|o| {
                    let owned = world
                        .repos
                        .iter()
                        .filter(|r| r.owner == sim::world::Owner::Org(o.id) && !r.deleted)
                        .count();
                    (owned, std::cmp::Reverse(o.id))
                })?;
            let root = engine::tracker::locate::web_root(endpoint);
            Some(format!("{root}/{}", org.login))
        })
        .collect()
}

/// A small simulated world served in-process, signed in to through its
/// simulated OAuth servers.
async fn demo() -> Result<ForgeSetup, ServerError> {
    let world = Arc::new(generate(WorldConfig {
        seed: 1,
        people: 80,
        repos: 40,
        years: 2,
        until: chrono::Utc::now(),
    }));
    let simulator = Simulator::start(world, SimConfig::default())
        .await
        .map_err(|error| {
            ServerError::Config(format!("could not start the demo forges: {error}"))
        })?;
    let endpoints: Vec<Endpoint> = Forge::ALL
        .into_iter()
        .filter_map(|forge| {
            Some(Endpoint {
                forge,
                api_url: simulator.url(forge)?.to_owned(),
                token: Some(sim::server::demo_token(forge).to_owned()),
                // Bitbucket cannot be asked for a person's work everywhere:
                // the demo looks in every workspace of its world.
                scope: match forge {
                    Forge::Bitbucket => simulator.world.repository_owners(forge),
                    _ => Vec::new(),
                },
            })
        })
        .collect();
    // The simulated OAuth servers take any `sim_…` secret.
    let sign_in = endpoints
        .iter()
        .filter(|e| e.forge.hosts_code())
        .map(|e| OAuthApp::for_endpoint(e, "tally-demo".into(), Some("sim_tally_demo".into())))
        .collect();
    let organisation_examples = biggest_organisations(&simulator.world, &endpoints);
    tracing::info!("no forge is configured: serving demo data from simulated forges");
    for endpoint in &endpoints {
        tracing::info!(forge = ?endpoint.forge, url = %endpoint.api_url, "demo forge");
    }
    Ok(ForgeSetup {
        forges: Forges {
            endpoints,
            demo: true,
            examples: busiest_accounts(&simulator.world),
            organisation_examples,
        },
        sign_in,
        demo: Some(simulator),
    })
}
