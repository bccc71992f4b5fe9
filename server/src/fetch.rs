//! `tally fetch`: the engine's forge clients from the command line, for
//! operators checking what a forge answers. Items go to stdout as JSON
//! lines; what it cost goes to stderr.

use std::io::Write;
use std::sync::Arc;

use engine::forge::cache::ResponseCache;
use engine::forge::governor::Governor;
use engine::forge::http::{Limits, Stats};
use engine::forge::{Client, Endpoint};

use crate::config::{FetchArgs, FetchWhat};
use crate::error::ServerError;

pub async fn run(args: FetchArgs) -> Result<(), ServerError> {
    if !(0.0..=1.0).contains(&args.budget_share) || args.budget_share == 0.0 {
        return Err(ServerError::Config(format!(
            "--budget-share must be above 0 and at most 1, not {}",
            args.budget_share
        )));
    }
    let endpoint = Endpoint {
        forge: args.forge.forge(),
        api_url: args
            .base_url
            .clone()
            .unwrap_or_else(|| args.forge.default_base_url().to_owned()),
        token: args.token.clone(),
        scope: args.scope.clone(),
    };
    let governor = Arc::new(Governor::new(args.budget_share));
    let cache = match &args.database_url {
        Some(url) => {
            let store = engine::store::Store::connect_url(url).await?;
            store.migrate().await?;
            ResponseCache::Postgres(store)
        }
        None => ResponseCache::default(),
    };
    let limits = Limits {
        cache: Arc::new(cache),
        ..Limits::new(governor.clone())
    };
    let client = Client::with_limits(&endpoint, limits)?;
    let started = std::time::Instant::now();
    let lines = match args.what {
        FetchWhat::Contributions => {
            let (Some(from), Some(to)) = (args.from, args.to) else {
                return Err(ServerError::Config(
                    "contributions need --from and --to (YYYY-MM-DD)".into(),
                ));
            };
            let outcome = client.contributions(&args.target, from, to).await;
            report(&client, &governor, started.elapsed());
            json_lines(&outcome?)?
        }
        FetchWhat::Issues => {
            let since = args
                .since
                .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc());
            let outcome = client.issues(&args.target, since).await;
            report(&client, &governor, started.elapsed());
            json_lines(&outcome?.items)?
        }
    };
    let mut out = std::io::stdout().lock();
    for line in &lines {
        writeln!(out, "{line}").map_err(ServerError::Serve)?;
    }
    eprintln!("{} items", lines.len());
    Ok(())
}

fn json_lines<T: serde::Serialize>(items: &[T]) -> Result<Vec<String>, ServerError> {
    items
        .iter()
        .map(|item| serde_json::to_string(item).map_err(|e| ServerError::Config(e.to_string())))
        .collect()
}

fn report(client: &Client, governor: &Governor, elapsed: std::time::Duration) {
    let stats = &client.http().stats;
    eprintln!(
        "requests {} · not modified {} · retries {} · rate-limited {} · waited {} ms · lowest budget left {} · {:.1} s",
        Stats::get(&stats.requests),
        Stats::get(&stats.not_modified),
        Stats::get(&stats.retries),
        Stats::get(&stats.rate_limited),
        Stats::get(&stats.waited_ms),
        governor
            .lowest_remaining()
            .map_or_else(|| "unknown".to_owned(), |n| n.to_string()),
        elapsed.as_secs_f64()
    );
}
