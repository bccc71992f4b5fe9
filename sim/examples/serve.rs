//! Benchmark: requests per second the simulated GitHub serves on loopback.
//! `cargo run --release -p sim --example serve -- [connections] [seconds]`
//!
//! The load comes from this process too, so the figure is a lower bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use sim::server::budget::Limit;
use sim::server::{GitHubLimits, SimConfig, Simulator};
use sim::world::{Forge, WorldConfig, generate};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let connections = args.next().flatten().unwrap_or(32);
    let seconds = args.next().flatten().unwrap_or(5);
    let world = Arc::new(generate(WorldConfig {
        seed: 42,
        people: 1000,
        repos: 500,
        years: 3,
        until: Utc::now(),
    }));
    let paths: Arc<Vec<String>> = Arc::new(
        world
            .repos
            .iter()
            .filter(|r| r.forge == Forge::GitHub && !r.deleted)
            .take(50)
            .map(|r| format!("/repos/{}", world.full_name(r)))
            .collect(),
    );
    // A budget that cannot run out, so every answer is a real 200.
    let unlimited = Limit {
        units: u32::MAX,
        window: Duration::from_secs(3600),
    };
    let config = SimConfig {
        github: GitHubLimits {
            core: unlimited,
            ..GitHubLimits::default()
        },
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world, config)
        .await
        .expect("start the simulator");
    let base = simulator
        .url(Forge::GitHub)
        .expect("GitHub is served")
        .to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(connections).unwrap_or(1))
        .build()
        .expect("client");
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let (client, base, paths, done, failed) = (
                client.clone(),
                base.clone(),
                paths.clone(),
                done.clone(),
                failed.clone(),
            );
            tokio::spawn(async move {
                let mut n = usize::try_from(worker).unwrap_or(0);
                while Instant::now() < deadline {
                    let url = format!("{base}{}", paths[n % paths.len()]);
                    n += 1;
                    let ok = match client.get(&url).bearer_auth("sim_bench").send().await {
                        Ok(response) => {
                            response.status().is_success() && response.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    };
                    let counter = if ok { &done } else { &failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let done = done.load(Ordering::Relaxed);
    let per_second = u128::from(done) * 1000 / started.elapsed().as_millis().max(1);
    println!(
        "{connections} connections, {elapsed:.1} s: {done} requests, {per_second} requests/s, {} failed",
        failed.load(Ordering::Relaxed)
    );
    simulator.stop().await;
}
