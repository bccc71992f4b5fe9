//! `tally`: the web server and the operator's commands.

// The app's views are nested types deeper than the compiler's default
// query depth allows in a release build (see app/src/lib.rs).
#![recursion_limit = "256"]

mod api;
mod auth;
mod config;
mod database;
mod embeds;
mod error;
mod exports;
mod fetch;
mod forges;
mod limits;
mod page_cache;
mod probes;
mod router;
mod secret_key;
mod state;
mod telemetry;
mod xml;

use std::process::ExitCode;
use std::sync::Arc;

use axum::serve::ListenerExt;
use clap::Parser;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use config::{
    Cli, Command, PostgresCommand, SeedArgs, SeedIssuesArgs, SeedReportArgs, ServeConfig, SimArgs,
};
use database::Database;
use error::ServerError;
use state::AppState;

fn main() -> ExitCode {
    // Rendering a page polls deeply nested futures (Leptos views nest, and a
    // debug build keeps a frame per level): more than tokio's default 2 MiB.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("tally: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let log = match &cli.command {
        Some(Command::Serve(serve)) => &serve.log,
        _ => &cli.serve.log,
    };
    if let Err(error) = telemetry::init(log) {
        eprintln!("tally: {error}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(config)) => serve(*config).await,
        Some(Command::Postgres(command)) => postgres(command).await,
        Some(Command::Sim(args)) => simulate(args).await,
        Some(Command::Fetch(args)) => fetch::run(args).await,
        Some(Command::Seed(args)) => seed(args).await,
        Some(Command::SeedIssues(args)) => seed_issues(args).await,
        Some(Command::SeedReport(args)) => seed_report(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "tally stopped");
            eprintln!("tally: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServeConfig) -> Result<(), ServerError> {
    let database = Database::open(&config.database).await?;
    // Whatever happens while serving, the private cluster must be stopped after.
    let result = match forges::configure(&config.forges).await {
        Ok(setup) => {
            let result = serve_with(&config, &database, setup.forges, setup.sign_in).await;
            if let Some(simulator) = setup.demo {
                simulator.stop().await;
            }
            result
        }
        Err(error) => Err(error),
    };
    database.close().await;
    result
}

async fn serve_with(
    config: &ServeConfig,
    database: &Database,
    forges: engine::forge::Forges,
    sign_in: Vec<auth::oauth::OAuthApp>,
) -> Result<(), ServerError> {
    let store = database.store.clone();
    store.migrate().await?;
    let cipher = secret_key::load(config.auth.secret_key.as_deref(), &config.database.data_dir)?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    let public_url = config
        .auth
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let directory = Arc::new(engine::forge::directory::Directory::new(
        forges.endpoints.clone(),
    ));
    // What anyone may start reads on clients that keep to its share.
    let public = Arc::new(governed_directory(&forges, config.queries.query_share));
    let filler = engine::queries::fill::Filler::new(
        store.clone(),
        public.clone(),
        config.queries.freshness(),
    );
    // Other processes on the database retire this one's remembered answers.
    let following = store.follow_changes().await?;
    if config.queries.forget_after_days > 0 {
        tokio::spawn(forget_unused(
            store.clone(),
            config.queries.forget_after_days,
        ));
    }
    let queries = engine::queries::Queries::new(Arc::new(filler), config.queries.bounds());

    let apps = Arc::new(sign_in);
    let http = auth::oauth::http_client();
    let renewer = Arc::new(auth::oauth::Renewer {
        apps: apps.clone(),
        http: http.clone(),
    });
    let accounts = Arc::new(engine::accounts::Accounts::new(
        store.clone(),
        cipher,
        Some(renewer),
    ));
    // Background syncs read on clients of their own that keep to their share.
    let syncing = Arc::new(governed_directory(&forges, config.jobs.sync_share));
    tokio::spawn(keep_standings(
        store.clone(),
        vec![directory.clone(), public.clone(), syncing.clone()],
    ));
    let repo_syncer = Arc::new(engine::tracker::sync::RepoSyncer::new(
        store.clone(),
        syncing,
        accounts.clone(),
        engine::tracker::sync::SyncSettings::default(),
    ));
    let queue = engine::jobs::SyncQueue::new(store.clone(), repo_syncer).await?;
    // Reports queue syncs of the repositories people ask for, where jobs run.
    let report_queue = (!config.jobs.no_jobs).then(|| queue.clone());
    let tracker = Arc::new(engine::tracker::Tracker::new(
        store.clone(),
        directory.clone(),
        accounts,
        queue.clone(),
    ));
    let discovery = discovery_queue(&store, &forges, config.jobs.crawler_share).await?;
    let mut job_settings = config.jobs.settings();
    if discovery.is_none() {
        job_settings.schedules.discovery_every = None;
    }
    let jobs =
        (!config.jobs.no_jobs).then(|| engine::jobs::start(queue, discovery.clone(), job_settings));
    let sessions = auth::session::layer(
        store.pool().clone(),
        public_url.starts_with("https://"),
        config.auth.session_days,
    )
    .await
    .map_err(ServerError::Sessions)?;
    let health =
        engine::health_check::HealthChecker::new(store.clone(), public, config.health.settings());
    let reports = engine::reports::Reports::new(
        store.clone(),
        directory.clone(),
        report_queue,
        engine::reports::ReportSettings {
            max_years: config.queries.max_years,
            patterns: config.reports.patterns().map_err(ServerError::Config)?,
            ..engine::reports::ReportSettings::default()
        },
    );
    let state = AppState {
        health,
        reports,
        store,
        forges: Arc::new(forges),
        directory,
        queries: Arc::new(queries),
        tracker,
        auth: Arc::new(auth::Auth {
            apps,
            http,
            public_url,
        }),
        leptos_options: leptos_options(config, addr),
        discovery,
        shares: state::BudgetShares {
            queries: config.queries.query_share,
            crawler: config.jobs.crawler_share,
            sync: config.jobs.sync_share,
        },
        private_api: config.auth.private_api,
    };
    tracing::info!("listening on http://{addr}");
    // Without TCP_NODELAY a response written in pieces (streamed HTML, a
    // file) waits for the client's delayed ACK: 40 ms on every page.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    let spending = Arc::new(limits::Spending::new(
        config.auth.spend_per_minute,
        config.auth.client_ip_header.clone(),
    ));
    let forgetting = tokio::spawn({
        let spending = spending.clone();
        async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                spending.forget_idle();
            }
        }
    });
    let app = router::build(state, sessions, spending)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServerError::Serve);
    following.abort();
    forgetting.abort();
    if let Some(jobs) = jobs {
        jobs.stop();
    }
    served?;
    tracing::info!("shut down");
    Ok(())
}

/// Discovery's queue, on clients of its own: their governors keep it to
/// `share` of each budget and put a run off rather than wait for a reset.
/// `None` without a GitHub (the only forge with follows and stars).
async fn discovery_queue(
    store: &engine::store::Store,
    forges: &engine::forge::Forges,
    share: f64,
) -> Result<Option<engine::jobs::DiscoveryQueue>, ServerError> {
    if !forges
        .endpoints
        .iter()
        .any(|e| e.forge == model::forge::Forge::GitHub)
    {
        return Ok(None);
    }
    let discovery = engine::discovery::Discovery::new(
        store.clone(),
        Arc::new(governed_directory(forges, share)),
        engine::discovery::DiscoverySettings::default(),
    );
    Ok(Some(
        engine::jobs::DiscoveryQueue::new(store.clone(), Arc::new(discovery)).await?,
    ))
}

/// Every hour, forgets the queries nobody opened and the cached accounts
/// no query used for `days` days, so what anyone can make the server store
/// does not grow for ever.
async fn forget_unused(store: engine::store::Store, days: u32) {
    let unused_for = chrono::Duration::days(i64::from(days));
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        match store.forget_unopened_queries(unused_for).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::info!(forgotten, days, "forgot queries nobody opened"),
            Err(error) => tracing::warn!(%error, "forgetting unopened queries failed"),
        }
        match store.forget_unused_identities(unused_for).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::info!(forgotten, days, "forgot accounts no query used"),
            Err(error) => tracing::warn!(%error, "forgetting unused accounts failed"),
        }
    }
}

/// Every half minute, keeps what the clients of `directories` last heard
/// of their budgets (discovery keeps its own as it runs).
async fn keep_standings(
    store: engine::store::Store,
    directories: Vec<Arc<engine::forge::directory::Directory>>,
) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        every.tick().await;
        if let Err(error) = engine::forge::directory::keep_standings(&store, &directories).await {
            tracing::warn!(%error, "keeping the rate limits seen failed");
        }
    }
}

/// Clients whose governors keep their work (background syncs, or what
/// anyone may start) to `share` of each budget, and put it off until the
/// reset rather than hold a worker or a visitor's page.
fn governed_directory(
    forges: &engine::forge::Forges,
    share: f64,
) -> engine::forge::directory::Directory {
    use engine::forge::governor::{Governor, Patience};
    engine::forge::directory::Directory::with_limits(forges.endpoints.clone(), move || {
        engine::forge::http::Limits::new(Arc::new(Governor::with_patience(share, Patience::Defer)))
    })
}

/// Leptos needs to know where the built site lives; cargo-leptos names the
/// bundle after `output-name` in Cargo.toml.
fn leptos_options(config: &ServeConfig, addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("tally")
        .site_root(config.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

async fn postgres(command: PostgresCommand) -> Result<(), ServerError> {
    match command {
        PostgresCommand::Start(config) => {
            let cluster = database::private_cluster(&config)?;
            cluster.start().await?;
            println!("{}", cluster.url());
            Ok(())
        }
        PostgresCommand::Stop(config) => Ok(database::private_cluster(&config)?.stop().await?),
    }
}

/// Stores made-up contributions and prints the path of a query over them.
async fn seed(args: SeedArgs) -> Result<(), ServerError> {
    if args.people == 0 || args.days < 1 {
        return Err(ServerError::Config(
            "--people and --days must be at least 1".into(),
        ));
    }
    let database = Database::open(&args.database).await?;
    let result = async {
        database.store.migrate().await?;
        let to = chrono::Utc::now().date_naive() - chrono::Duration::days(30);
        let plan = engine::seed::Plan {
            people: args.people,
            contributions: args.contributions,
            from: to - chrono::Duration::days(args.days - 1),
            to,
        };
        let hash = engine::seed::seed(&database.store, &plan).await?;
        println!("/q/{hash}");
        Ok(())
    }
    .await;
    database.close().await;
    result
}

/// Fills a person's tracker and prints how many items their list has.
async fn seed_issues(args: SeedIssuesArgs) -> Result<(), ServerError> {
    if args.issues == 0 || args.repositories == 0 {
        return Err(ServerError::Config(
            "--issues and --repositories must be at least 1".into(),
        ));
    }
    let database = Database::open(&args.database).await?;
    let result = async {
        database.store.migrate().await?;
        let plan = engine::seed::TrackerPlan {
            issues: args.issues,
            repositories: args.repositories,
        };
        let (forge, username) = &args.account;
        let items = engine::seed::seed_tracker(&database.store, *forge, username, &plan).await?;
        println!("{items}");
        Ok(())
    }
    .await;
    database.close().await;
    result
}

/// Fills a repository to report on and prints its report's address.
async fn seed_report(args: SeedReportArgs) -> Result<(), ServerError> {
    if args.issues < 0 || args.pulls < 0 || args.commits < 0 {
        return Err(ServerError::Config(
            "--issues, --pulls and --commits cannot be negative".into(),
        ));
    }
    let database = Database::open(&args.database).await?;
    let result = async {
        database.store.migrate().await?;
        let (forge, username) = &args.account;
        let plan = engine::seed::ReportPlan {
            issues: args.issues,
            pulls: args.pulls,
            commits: args.commits,
        };
        engine::seed::seed_report(&database.store, *forge, username, &plan).await?;
        println!("/reports/{}/seed/report", forge.key());
        Ok(())
    }
    .await;
    database.close().await;
    result
}

/// Generates the world, serves it, prints each forge's base URL and waits for Ctrl-C.
async fn simulate(args: SimArgs) -> Result<(), ServerError> {
    let config = sim::world::WorldConfig {
        seed: args.seed,
        people: args.people,
        repos: args.repos,
        years: args.years,
        until: chrono::Utc::now(),
    };
    let started = std::time::Instant::now();
    let world = Arc::new(sim::world::generate(config));
    tracing::info!(
        "generated {} people, {} repositories, {} commits in {:.2} s",
        world.people.len(),
        world.repos.len(),
        world.commits.len(),
        started.elapsed().as_secs_f64()
    );
    let sim_config = sim::server::SimConfig {
        faults: args.faults.iter().cloned().collect(),
        ..sim::server::SimConfig::default()
    };
    let simulator = sim::server::Simulator::start_on(world, sim_config, args.ip, args.port)
        .await
        .map_err(|source| ServerError::Bind {
            addr: std::net::SocketAddr::new(args.ip, args.port),
            source,
        })?;
    for forge in sim::world::Forge::ALL {
        if let Some(url) = simulator.url(forge) {
            println!("{forge:?} {url}");
        }
    }
    shutdown_signal().await;
    simulator.stop().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
