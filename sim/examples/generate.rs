//! Benchmark: how long generating a world takes.
//! `cargo run --release -p sim --example generate -- [people] [years]`

use std::time::Instant;

use chrono::Utc;
use sim::world::{WorldConfig, generate};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let people = args.next().and_then(Result::ok).unwrap_or(1000);
    let years = u32::try_from(args.next().and_then(Result::ok).unwrap_or(3)).unwrap_or(3);
    let config = WorldConfig {
        seed: 42,
        people,
        repos: people / 2,
        years,
        until: Utc::now(),
    };
    let started = Instant::now();
    let world = generate(config);
    let took = started.elapsed();
    println!(
        "generated {people} people, {years} years in {:.2} s: {} accounts, {} repos, {} commits, {} changes, {} issues, {} comments",
        took.as_secs_f64(),
        world.accounts.len(),
        world.repos.len(),
        world.commits.len(),
        world.changes.len(),
        world.issues.len(),
        world.issues.iter().map(|i| i.comments.len()).sum::<usize>(),
    );
}
