//! The forges Tally reads: the configured ones, or, with none configured,
//! a small simulated world served in-process (the demo).

use std::sync::Arc;

use engine::forge::{Endpoint, Forges};
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};
use sim::world::{WorldConfig, generate};

use crate::config::ForgeConfig;
use crate::error::ServerError;

/// The forges, and the simulator behind them when they are the demo's.
pub struct ForgeSetup {
    pub forges: Forges,
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
    if let Some(api_url) = &config.github_api_url {
        let endpoint = Endpoint {
            forge: Forge::GitHub,
            api_url: api_url.trim_end_matches('/').to_owned(),
            token: config.github_token.clone(),
            scope: Vec::new(),
        };
        return Ok(ForgeSetup {
            forges: Forges {
                endpoints: vec![endpoint],
                demo: false,
                examples: Vec::new(),
            },
            demo: None,
        });
    }
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
    let endpoints = Forge::ALL
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
    tracing::info!("no forge is configured: serving demo data from simulated forges");
    Ok(ForgeSetup {
        forges: Forges {
            endpoints,
            demo: true,
            examples: busiest_accounts(&simulator.world),
        },
        demo: Some(simulator),
    })
}
