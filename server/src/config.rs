//! Command line and environment: every setting has a flag and a `TALLY_*`
//! (or conventional) environment variable, flags winning.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use axum::http::HeaderName;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "tally",
    version,
    about = "Contributions across code forges, counted exactly."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default when no command is given).
    Serve(Box<ServeConfig>),
    /// Manage the private PostgreSQL cluster in a data directory.
    #[command(subcommand)]
    Postgres(PostgresCommand),
    /// Serve a simulated world in the forges' own wire formats (for tests, benchmarks and demos).
    Sim(SimArgs),
    /// Fetch from a forge with the server's own clients and print normalized
    /// JSON lines; requests, 304s, retries and budget go to stderr.
    Fetch(FetchArgs),
    /// Fill the database with made-up contributions of many people and
    /// print the address of a query over them (for load tests).
    Seed(SeedArgs),
    /// Fill a signed-in person's issue tracker with made-up repositories
    /// and issues (for load tests).
    SeedIssues(SeedIssuesArgs),
    /// Keep a made-up public repository `seed/report` on the instance a
    /// signed-in person's account is on, full of issues, pull requests and
    /// commits, and print its report's address (for load tests).
    SeedReport(SeedReportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SeedReportArgs {
    /// Whose forge instance: an account someone signed in with, as
    /// `forge:username`.
    #[arg(long = "for", value_parser = parse_account)]
    pub account: (model::forge::Forge, String),
    #[arg(long, default_value_t = 40_000)]
    pub issues: i64,
    #[arg(long, default_value_t = 20_000)]
    pub pulls: i64,
    #[arg(long, default_value_t = 100_000)]
    pub commits: i64,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

#[derive(Debug, Clone, Args)]
pub struct SeedIssuesArgs {
    /// Whose list: the account they signed in with, as `forge:username`.
    #[arg(long = "for", value_parser = parse_account)]
    pub account: (model::forge::Forge, String),
    #[arg(long, default_value_t = 100_000)]
    pub issues: usize,
    #[arg(long, default_value_t = 40)]
    pub repositories: usize,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

fn parse_account(text: &str) -> Result<(model::forge::Forge, String), String> {
    let spec = model::query::AccountSpec::parse(text).map_err(|e| e.clone())?;
    Ok((spec.forge, spec.username))
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    #[arg(long, default_value_t = 20)]
    pub people: usize,
    /// In all, shared evenly between the people.
    #[arg(long, default_value_t = 200_000)]
    pub contributions: usize,
    /// Days the contributions spread over, ending 30 days ago (so none of
    /// them counts as recent and due for a refresh).
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// The forge to ask.
    #[arg(value_enum)]
    pub forge: FetchForge,
    /// What to fetch.
    #[arg(value_enum)]
    pub what: FetchWhat,
    /// Whose or which: a username for `contributions`, a repository
    /// (`owner/name`) for `issues`.
    pub target: String,
    /// First UTC day, inclusive (YYYY-MM-DD); `contributions` needs it.
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last UTC day, inclusive (YYYY-MM-DD); `contributions` needs it.
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
    /// For `issues`: only those updated on or after this UTC day.
    #[arg(long)]
    pub since: Option<chrono::NaiveDate>,
    /// The API base URL: GitHub Enterprise, a self-hosted instance, or a simulator.
    #[arg(long)]
    pub base_url: Option<String>,
    /// The token to use; without one the forge's anonymous budget applies.
    #[arg(long, env = "TALLY_FETCH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Bitbucket workspaces to look in besides the person's own (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Keep answers and their ETags in this database, so a later run asks
    /// conditionally and unchanged data costs no budget. Without it they
    /// last for this run only.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The share of the rate-limit budget to use, leaving the rest for
    /// other users of the same token.
    #[arg(long, default_value_t = 1.0)]
    pub budget_share: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FetchForge {
    Github,
    Gitlab,
    Bitbucket,
    Gerrit,
    Phabricator,
}

impl FetchForge {
    pub fn forge(self) -> model::forge::Forge {
        match self {
            Self::Github => model::forge::Forge::GitHub,
            Self::Gitlab => model::forge::Forge::GitLab,
            Self::Bitbucket => model::forge::Forge::Bitbucket,
            Self::Gerrit => model::forge::Forge::Gerrit,
            Self::Phabricator => model::forge::Forge::Phabricator,
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::Github => "https://api.github.com",
            Self::Gitlab => "https://gitlab.com",
            Self::Bitbucket => "https://api.bitbucket.org",
            Self::Gerrit => "https://gerrit-review.googlesource.com",
            Self::Phabricator => "https://we.phorge.it",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FetchWhat {
    /// Everything a person contributed in the range.
    Contributions,
    /// A repository's issues.
    Issues,
}

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// The world is a function of seed and size: the same values give the same world.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 200)]
    pub people: usize,
    #[arg(long, default_value_t = 100)]
    pub repos: usize,
    #[arg(long, default_value_t = 3)]
    pub years: u32,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1")]
    pub ip: std::net::IpAddr,
    /// First port: the forges take consecutive ports from it (GitHub first).
    /// 0 gives each a free port.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Faults one forge injects from the start, as `FORGE=JSON`, e.g.
    /// `--faults 'github={"error_rate":0.1,"jitter_ms":300}'`. Repeatable.
    #[arg(long = "faults", value_parser = parse_faults)]
    pub faults: Vec<(sim::world::Forge, sim::server::faults::Faults)>,
}

fn parse_faults(text: &str) -> Result<(sim::world::Forge, sim::server::faults::Faults), String> {
    let (forge, json) = text
        .split_once('=')
        .ok_or_else(|| format!("expected FORGE=JSON, got {text:?}"))?;
    let forge: sim::world::Forge =
        serde_json::from_value(serde_json::Value::String(forge.to_lowercase())).map_err(|_| {
            format!("unknown forge {forge:?}; use github, gitlab, bitbucket, gerrit or phabricator")
        })?;
    let faults: sim::server::faults::Faults =
        serde_json::from_str(json).map_err(|error| format!("faults for {forge:?}: {error}"))?;
    faults.validate()?;
    Ok((forge, faults))
}

#[derive(Debug, Subcommand)]
pub enum PostgresCommand {
    /// Create (on first use) and start the cluster, then print its connection URL.
    Start(DatabaseConfig),
    /// Stop the cluster.
    Stop(DatabaseConfig),
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "TALLY_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory holding the built site (`pkg/` with the wasm bundle, and static assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub forges: ForgeConfig,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub jobs: JobConfig,

    #[command(flatten)]
    pub queries: QueryConfig,

    #[command(flatten)]
    pub health: HealthConfig,

    #[command(flatten)]
    pub reports: ReportConfig,

    #[command(flatten)]
    pub log: LogConfig,
}

/// The patterns repository reports classify with, unless a report's
/// address gives its own (regular expressions, case-insensitive; each
/// flag repeated for more, and given at all it replaces the defaults).
#[derive(Debug, Clone, Args)]
pub struct ReportConfig {
    /// Labels that make an issue a bug report.
    #[arg(
        long = "report-bug-pattern",
        env = "TALLY_REPORT_BUG_PATTERNS",
        value_delimiter = '\n'
    )]
    pub bug: Vec<String>,

    /// Labels that make an issue a performance report.
    #[arg(
        long = "report-performance-pattern",
        env = "TALLY_REPORT_PERFORMANCE_PATTERNS",
        value_delimiter = '\n'
    )]
    pub performance: Vec<String>,

    /// Accounts whose comments are not a first response (bots).
    #[arg(
        long = "report-bot-pattern",
        env = "TALLY_REPORT_BOT_PATTERNS",
        value_delimiter = '\n'
    )]
    pub bots: Vec<String>,
}

impl ReportConfig {
    /// The installation's patterns; refused at start when one is not a
    /// regular expression, naming the flag.
    pub fn patterns(&self) -> Result<model::report::ReportPatterns, String> {
        let defaults = model::report::ReportPatterns::default();
        let pick = |given: &Vec<String>, default: Vec<String>| {
            if given.is_empty() {
                default
            } else {
                given.clone()
            }
        };
        let patterns = model::report::ReportPatterns {
            bug: pick(&self.bug, defaults.bug),
            performance: pick(&self.performance, defaults.performance),
            bots: pick(&self.bots, defaults.bots),
        };
        engine::reports::patterns::Classifier::new(&patterns).map_err(|e| {
            let text = e.to_string();
            match text.split_once(": ") {
                Some((kind, problem)) => format!("--report-{kind}-pattern: {problem}"),
                None => text,
            }
        })?;
        Ok(patterns)
    }
}

/// Bounds on organisation health checks and how long their answers are reused.
#[derive(Debug, Clone, Args)]
pub struct HealthConfig {
    /// The most organisation addresses one health check takes.
    #[arg(long, env = "TALLY_HEALTH_MOST_ADDRESSES", default_value_t = model::health_check::DEFAULT_MOST_ADDRESSES,
          value_parser = |text: &str| count_between(text, 1, 1000))]
    pub health_most_addresses: usize,

    /// The most repositories read of one organisation; past it the answer
    /// says `truncated`.
    #[arg(long, env = "TALLY_HEALTH_MOST_REPOSITORIES", default_value_t = 1000,
          value_parser = |text: &str| count_between(text, 1, 100_000))]
    pub health_most_repositories: usize,

    /// Seconds an organisation's answer is reused without asking its forge.
    #[arg(long, env = "TALLY_HEALTH_FRESH_SECS", default_value_t = 900)]
    pub health_fresh_secs: u32,
}

impl HealthConfig {
    pub fn settings(&self) -> engine::health_check::HealthSettings {
        engine::health_check::HealthSettings {
            most_addresses: self.health_most_addresses,
            most_repositories: self.health_most_repositories,
            fresh_for: chrono::Duration::seconds(i64::from(self.health_fresh_secs)),
        }
    }
}

/// Bounds on contribution queries and how long fetched days stay fresh.
#[derive(Debug, Clone, Args)]
pub struct QueryConfig {
    /// The most forge accounts one query may name.
    #[arg(long, env = "TALLY_MAX_ACCOUNTS", default_value_t = model::query::MAX_IDENTITIES)]
    pub max_accounts: usize,

    /// The longest range of days a query may span, in years.
    #[arg(long, env = "TALLY_MAX_YEARS", default_value_t = model::query::MAX_YEARS)]
    pub max_years: u32,

    /// A new query is refused when fetching its days not yet cached is
    /// expected to take more requests to one forge than this (priced at
    /// what fetches took here on average); 0: no limit.
    #[arg(
        long,
        env = "TALLY_MAX_FETCH_REQUESTS",
        default_value_t = engine::queries::MAX_FETCH_REQUESTS
    )]
    pub max_fetch_requests: u64,

    /// Days this close to today are fetched again once older than `--refresh-after-minutes`;
    /// older days are kept as fetched.
    #[arg(long, env = "TALLY_RECENT_DAYS", default_value_t = 3)]
    pub recent_days: i64,

    #[arg(long, env = "TALLY_REFRESH_AFTER_MINUTES", default_value_t = 60)]
    pub refresh_after_minutes: i64,

    /// An account whose forge failed is fetched again on opening its query
    /// only after this long (the page's retry button does it at once).
    #[arg(long, env = "TALLY_RETRY_FAILED_AFTER_MINUTES", default_value_t = 10)]
    pub retry_failed_after_minutes: i64,

    /// The share of each forge's rate limit that contribution queries and
    /// health checks (what anyone may start, signed in or not) may spend
    /// (0.01 to 1); an account whose fetch reaches it shows the failure
    /// and is fetched again once the budget renews.
    #[arg(long, env = "TALLY_QUERY_SHARE", default_value_t = 0.5, value_parser = share)]
    pub query_share: f64,

    /// Queries nobody created or opened for this many days are forgotten
    /// (their links answer "not found"), and so are the cached items and
    /// days of accounts no query fetched or opened for as long (a query
    /// naming one fetches it again when opened). Checked hourly; 0 keeps
    /// both for ever.
    #[arg(long, env = "TALLY_FORGET_AFTER_DAYS", default_value_t = 180)]
    pub forget_after_days: u32,
}

impl QueryConfig {
    pub fn bounds(&self) -> engine::queries::Bounds {
        engine::queries::Bounds {
            max_identities: self.max_accounts,
            max_years: self.max_years,
            max_fetch_requests: self.max_fetch_requests,
        }
    }

    pub fn freshness(&self) -> engine::queries::fill::Freshness {
        engine::queries::fill::Freshness {
            recent_days: self.recent_days,
            max_age: chrono::Duration::minutes(self.refresh_after_minutes),
            retry_failed_after: chrono::Duration::minutes(self.retry_failed_after_minutes),
        }
    }
}

/// Where the forges are, the installation's tokens for them, and the OAuth
/// applications people sign in through. With no forge configured, Tally
/// runs simulated demo forges (and signs in through their OAuth servers).
#[derive(Debug, Clone, Args)]
pub struct ForgeConfig {
    /// GitHub's API base URL: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise.
    #[arg(long, env = "TALLY_GITHUB_API_URL")]
    pub github_api_url: Option<String>,

    /// A GitHub token; without one, GitHub allows 60 requests an hour.
    #[arg(long, env = "TALLY_GITHUB_TOKEN", hide_env_values = true)]
    pub github_token: Option<String>,

    /// The client id of the GitHub OAuth app people sign in through.
    #[arg(long, env = "TALLY_GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,

    #[arg(long, env = "TALLY_GITHUB_CLIENT_SECRET", hide_env_values = true)]
    pub github_client_secret: Option<String>,

    /// GitLab's base URL, e.g. `https://gitlab.com`.
    #[arg(long, env = "TALLY_GITLAB_URL")]
    pub gitlab_url: Option<String>,

    /// A GitLab personal, group or project access token.
    #[arg(long, env = "TALLY_GITLAB_TOKEN", hide_env_values = true)]
    pub gitlab_token: Option<String>,

    /// The application id of the GitLab OAuth application people sign in through.
    #[arg(long, env = "TALLY_GITLAB_CLIENT_ID")]
    pub gitlab_client_id: Option<String>,

    /// Its secret; without one Tally signs in as a public client with PKCE alone.
    #[arg(long, env = "TALLY_GITLAB_CLIENT_SECRET", hide_env_values = true)]
    pub gitlab_client_secret: Option<String>,

    /// Bitbucket's API base URL, e.g. `https://api.bitbucket.org`.
    #[arg(long, env = "TALLY_BITBUCKET_API_URL")]
    pub bitbucket_api_url: Option<String>,

    /// `email:api-token`, or an access token.
    #[arg(long, env = "TALLY_BITBUCKET_TOKEN", hide_env_values = true)]
    pub bitbucket_token: Option<String>,

    /// The key of the Bitbucket OAuth consumer people sign in through.
    #[arg(long, env = "TALLY_BITBUCKET_CLIENT_ID")]
    pub bitbucket_client_id: Option<String>,

    #[arg(long, env = "TALLY_BITBUCKET_CLIENT_SECRET", hide_env_values = true)]
    pub bitbucket_client_secret: Option<String>,

    /// A Gerrit server's base URL, e.g. `https://review.example.org`.
    #[arg(long, env = "TALLY_GERRIT_URL")]
    pub gerrit_url: Option<String>,

    /// `user:http-password` for Gerrit.
    #[arg(long, env = "TALLY_GERRIT_TOKEN", hide_env_values = true)]
    pub gerrit_token: Option<String>,

    /// A Phabricator (or Phorge) base URL.
    #[arg(long, env = "TALLY_PHABRICATOR_URL")]
    pub phabricator_url: Option<String>,

    /// A Conduit API token (`api-…`).
    #[arg(long, env = "TALLY_PHABRICATOR_TOKEN", hide_env_values = true)]
    pub phabricator_token: Option<String>,
}

/// Signing in, sessions and the key tokens are sealed with.
#[derive(Debug, Clone, Args)]
pub struct AuthConfig {
    /// The address people reach Tally at: OAuth redirects come back to it,
    /// and with `https` cookies are marked Secure. Default: the address
    /// Tally listens on.
    #[arg(long, env = "TALLY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The key forge tokens are encrypted with (32 bytes as 64 hex digits
    /// or base64). Without it Tally keeps a generated one in
    /// `<data-dir>/secret.key`; every process sharing a database needs the same.
    #[arg(long, env = "TALLY_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Days a session lasts without being used.
    #[arg(long, env = "TALLY_SESSION_DAYS", default_value_t = 30)]
    pub session_days: i64,

    /// Requests that spend forge budget or keep rows (creating or retrying
    /// a query, a health check, starting a task or a sign-in) one client
    /// address may make a minute, as many at once; past it, 429.
    #[arg(long, env = "TALLY_SPEND_PER_MINUTE", default_value_t = NonZeroU32::new(30).expect("not zero"))]
    pub spend_per_minute: NonZeroU32,

    /// Behind a reverse proxy: the header it puts the client's address in
    /// (`X-Forwarded-For`, `X-Real-IP`); the last address listed counts.
    /// Without it, the connection's peer is the client.
    #[arg(long, env = "TALLY_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<HeaderName>,

    /// `/api/v1` answers only a signed-in session or an API token, reads
    /// included (writes always need one).
    #[arg(long, env = "TALLY_PRIVATE_API")]
    pub private_api: bool,
}

/// The issue tracker's background sync.
#[derive(Debug, Clone, Args)]
pub struct JobConfig {
    /// Subscribed repositories are synced this often.
    #[arg(long, env = "TALLY_SYNC_EVERY_MINUTES", default_value_t = 15)]
    pub sync_every_minutes: i64,

    /// Syncs this process runs at once.
    #[arg(long, env = "TALLY_SYNC_WORKERS", default_value_t = 4)]
    pub sync_workers: usize,

    /// Serve only: run no background jobs in this process (another does).
    #[arg(long, env = "TALLY_NO_JOBS")]
    pub no_jobs: bool,

    /// The share of each forge's rate limit discovery may spend (0.01 to
    /// 1); the rest is kept for people's queries and the tracker.
    #[arg(long, env = "TALLY_CRAWLER_SHARE", default_value_t = 0.5, value_parser = share)]
    pub crawler_share: f64,

    /// The share of each forge's rate limit the tracker's background syncs
    /// may spend (0.01 to 1), the syncs reports ask for included; the rest
    /// is kept for people's queries, sign-ins and health checks.
    #[arg(long, env = "TALLY_SYNC_SHARE", default_value_t = 0.75, value_parser = share)]
    pub sync_share: f64,

    /// Seconds between scheduled discovery runs; 0 turns them off.
    #[arg(long, env = "TALLY_DISCOVERY_EVERY_SECS", default_value_t = 3600)]
    pub discovery_every_secs: u64,

    /// Developers each scheduled discovery run syncs.
    #[arg(long, env = "TALLY_DISCOVERY_COUNT", default_value_t = model::tasks::DEFAULT_SCRAPE_COUNT,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(model::tasks::MAX_SCRAPE_COUNT)))]
    pub discovery_count: u32,

    /// Seconds between heartbeats (which show the scheduler is alive).
    #[arg(long, env = "TALLY_HEARTBEAT_EVERY_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_every_secs: u64,

    /// Discovery runs this process works on at once.
    #[arg(long, env = "TALLY_DISCOVERY_WORKERS", default_value_t = 2)]
    pub discovery_workers: usize,
}

/// A count from `least` to `most`.
fn count_between(text: &str, least: usize, most: usize) -> Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    if (least..=most).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is out of range; use {least} to {most}"))
    }
}

/// A share of a budget: a number from 0.01 to 1.
fn share(text: &str) -> Result<f64, String> {
    let share: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (0.01..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!("{share} is out of range; use 0.01 to 1"))
    }
}

impl JobConfig {
    pub fn settings(&self) -> engine::jobs::JobSettings {
        engine::jobs::JobSettings {
            sync_every: chrono::Duration::minutes(self.sync_every_minutes.max(1)),
            workers: self.sync_workers.max(1),
            discovery_workers: self.discovery_workers.max(1),
            schedules: engine::jobs::ScheduleSettings {
                discovery_every: (self.discovery_every_secs > 0)
                    .then(|| std::time::Duration::from_secs(self.discovery_every_secs)),
                scrape_count: self.discovery_count,
                heartbeat_every: std::time::Duration::from_secs(self.heartbeat_every_secs),
                ..engine::jobs::ScheduleSettings::default()
            },
            ..engine::jobs::JobSettings::default()
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// PostgreSQL to use. Without it, Tally runs a private cluster in `--data-dir`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where Tally keeps its own files, including the private cluster.
    #[arg(long, env = "TALLY_DATA_DIR", default_value_os_t = default_data_dir())]
    pub data_dir: PathBuf,

    /// Directory of the PostgreSQL server binaries (`initdb`, `pg_ctl`); found automatically if unset.
    #[arg(long, env = "TALLY_PG_BIN_DIR")]
    pub pg_bin_dir: Option<PathBuf>,
}

/// `/var/lib/tally` for root (whose home the cluster's unprivileged owner
/// cannot enter), else the XDG data directory.
fn default_data_dir() -> PathBuf {
    if nix::unistd::Uid::effective().is_root() {
        return PathBuf::from("/var/lib/tally");
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .map_or_else(|| PathBuf::from(".tally"), |base| base.join("tally"))
}

#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "TALLY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter in `tracing` syntax, e.g. `info,engine=debug`.
    #[arg(
        long,
        env = "RUST_LOG",
        default_value = "info,sqlx::postgres::notice=warn"
    )]
    pub log_filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_faults_name_their_forge_and_are_checked() {
        let parsed =
            Cli::try_parse_from(["tally", "sim", "--faults", r#"gitlab={"error_rate":0.25}"#])
                .unwrap();
        let Some(Command::Sim(args)) = parsed.command else {
            panic!("expected the sim command");
        };
        assert_eq!(args.faults.len(), 1);
        assert_eq!(args.faults[0].0, sim::world::Forge::GitLab);
        for bad in [
            "gitlab",
            "nowhere={}",
            r#"github={"error_rate":2}"#,
            "github={oops",
        ] {
            assert!(
                Cli::try_parse_from(["tally", "sim", "--faults", bad]).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn no_command_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["tally"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.addr.port(), 3000);
        assert_eq!(cli.serve.log.log_format, LogFormat::Text);
    }

    #[test]
    fn a_bad_address_is_rejected_naming_the_flag() {
        let error = Cli::try_parse_from(["tally", "--addr", "not-an-address"]).unwrap_err();
        assert!(error.to_string().contains("--addr"), "{error}");
    }

    #[test]
    fn an_unknown_log_format_is_rejected_listing_the_choices() {
        let error = Cli::try_parse_from(["tally", "--log-format", "xml"]).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("text") && message.contains("json"),
            "{message}"
        );
    }
}
