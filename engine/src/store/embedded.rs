//! A private PostgreSQL cluster that Tally runs for itself when no
//! `DATABASE_URL` is given, so a fresh machine needs no database set-up.
//!
//! We drive the installed server binaries (`initdb`, `pg_ctl`) directly rather
//! than through `postgresql_embedded`: that crate downloads its binaries from
//! GitHub unless pointed at a matching tree, links sqlx 0.9 (we pin 0.8), and
//! cannot run as root, which is how CI runs. When started as root we run the
//! cluster as an unprivileged system user instead, as `pg_ctlcluster` does.
//!
//! The cluster listens only on a unix socket inside its own directory, so it
//! never conflicts with another PostgreSQL on the machine.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use nix::unistd::{Gid, Uid, User};
use sqlx::postgres::PgConnectOptions;
use tokio::process::Command;

use crate::{Error, Result};

/// The superuser and database created in the private cluster.
const ROLE: &str = "tally";
const DATABASE: &str = "tally";
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 107;

/// A running private cluster. Stop it with [`PrivateCluster::stop`]; dropping
/// it leaves the server running, to be adopted by the next start.
#[derive(Debug)]
pub struct PrivateCluster {
    root: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    bin_dir: PathBuf,
    owner: Option<User>,
}

impl PrivateCluster {
    /// Describes the cluster kept under `root`, finding the server binaries,
    /// without touching the disk or starting anything.
    pub fn new(root: &Path, bin_dir: Option<&Path>) -> Result<Self> {
        let root = std::path::absolute(root).map_err(Error::io(root))?;
        Ok(Self {
            pgdata: root.join("pgdata"),
            socket_dir: root.join("run"),
            log_file: root.join("postgres.log"),
            root,
            bin_dir: find_bin_dir(bin_dir)?,
            owner: unprivileged_owner()?,
        })
    }

    /// Creates the cluster on first use, then starts it (or adopts one already
    /// running there) and makes sure the `tally` database exists.
    pub async fn start(&self) -> Result<()> {
        self.prepare_directories()?;
        if self.pgdata.join("PG_VERSION").exists() {
            self.check_version()?;
        } else {
            self.initdb().await?;
        }
        if self.is_running().await? {
            tracing::info!(pgdata = %self.pgdata.display(), "adopting running private PostgreSQL");
        } else {
            self.pg_ctl_start().await?;
        }
        self.create_database().await
    }

    /// Connects to the `tally` database over the cluster's unix socket.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.options_for(DATABASE)
    }

    /// The same as [`connect_options`](Self::connect_options), as a URL other
    /// programs (psql, test runners) accept.
    pub fn url(&self) -> String {
        format!(
            "postgres://{ROLE}@localhost/{DATABASE}?host={}",
            self.socket_dir.display()
        )
    }

    /// Stops the server if it runs; stopping a stopped cluster is not an error.
    pub async fn stop(&self) -> Result<()> {
        if !self.pgdata.join("PG_VERSION").exists() || !self.is_running().await? {
            return Ok(());
        }
        let mut command = self.command("pg_ctl");
        command
            .arg("stop")
            .arg("--pgdata")
            .arg(&self.pgdata)
            .args(["--mode", "fast", "--wait"]);
        self.run(command, "stop the server").await?;
        Ok(())
    }

    fn options_for(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .username(ROLE)
            .database(database)
    }

    fn prepare_directories(&self) -> Result<()> {
        let root = self.root.as_path();
        let socket = self.socket_dir.join(".s.PGSQL.5432");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(embedded_error(
                format!("the socket path {} is too long", socket.display()),
                "Choose a shorter data directory (--data-dir).",
            ));
        }
        for dir in [root, &self.pgdata, &self.socket_dir] {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        // initdb refuses a data directory that others can read.
        for dir in [&self.pgdata, &self.socket_dir] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(Error::io(dir))?;
        }
        if let Some(owner) = &self.owner {
            check_reachable_by(owner, root)?;
            for path in [root, &self.pgdata, &self.socket_dir] {
                std::os::unix::fs::chown(path, Some(owner.uid.as_raw()), Some(owner.gid.as_raw()))
                    .map_err(Error::io(path))?;
            }
        }
        Ok(())
    }

    fn check_version(&self) -> Result<()> {
        let path = self.pgdata.join("PG_VERSION");
        let cluster_version = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
        let cluster_version = cluster_version.trim();
        let binary_version = self
            .bin_dir
            .parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        // Debian's layout names the version (`/usr/lib/postgresql/15/bin`); other
        // layouts do not, and then pg_ctl itself reports a mismatch.
        if binary_version.chars().all(|c| c.is_ascii_digit())
            && !binary_version.is_empty()
            && binary_version != cluster_version
        {
            return Err(embedded_error(
                format!(
                    "the cluster in {} was made by PostgreSQL {cluster_version}, but the binaries in {} are version {binary_version}",
                    self.pgdata.display(),
                    self.bin_dir.display()
                ),
                "Install PostgreSQL of the cluster's version, or point --data-dir at a new directory.",
            ));
        }
        Ok(())
    }

    async fn initdb(&self) -> Result<()> {
        tracing::info!(pgdata = %self.pgdata.display(), "creating private PostgreSQL cluster");
        let mut command = self.command("initdb");
        command
            .arg("--pgdata")
            .arg(&self.pgdata)
            .args(["--username", ROLE, "--auth", "trust", "--encoding", "UTF8"])
            .args(["--locale", "C", "--no-sync"]);
        self.run(command, "initialise the cluster").await?;
        Ok(())
    }

    async fn is_running(&self) -> Result<bool> {
        let mut command = self.command("pg_ctl");
        command.arg("status").arg("--pgdata").arg(&self.pgdata);
        let output = self.output(command, "ask the server's status").await?;
        // pg_ctl status: 0 running, 3 not running, 4 no accessible data directory.
        Ok(output.status.success())
    }

    async fn pg_ctl_start(&self) -> Result<()> {
        tracing::info!(pgdata = %self.pgdata.display(), "starting private PostgreSQL");
        // No TCP at all: only our socket, readable only by the cluster's owner (and root).
        let server_options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700",
            self.socket_dir.display()
        );
        let mut command = self.command("pg_ctl");
        command
            .arg("start")
            .arg("--pgdata")
            .arg(&self.pgdata)
            .arg("--log")
            .arg(&self.log_file)
            .arg("--options")
            .arg(server_options)
            .args(["--wait", "--timeout", "60"]);
        self.run(command, "start the server")
            .await
            .map_err(|error| {
                let log_tail = tail_of(&self.log_file);
                match error {
                    Error::EmbeddedPostgres { problem, hint } => Error::EmbeddedPostgres {
                        problem: format!("{problem}; server log ends with: {log_tail}"),
                        hint,
                    },
                    other => other,
                }
            })?;
        Ok(())
    }

    async fn create_database(&self) -> Result<()> {
        use sqlx::{ConnectOptions, Connection};
        let mut connection = self.options_for("postgres").connect().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut connection)
                .await?;
        if !exists {
            sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
                .execute(&mut connection)
                .await?;
        }
        connection.close().await?;
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        command.env_remove("PGDATA").env("LC_ALL", "C");
        if let Some(owner) = &self.owner {
            command.uid(owner.uid.as_raw()).gid(owner.gid.as_raw());
            // The owner may not be able to read root's current directory.
            command.current_dir(&self.pgdata);
        }
        command
    }

    async fn output(&self, mut command: Command, purpose: &str) -> Result<Output> {
        command.output().await.map_err(|error| {
            embedded_error(
                format!(
                    "could not run {:?} to {purpose}: {error}",
                    command.as_std().get_program()
                ),
                INSTALL_HINT,
            )
        })
    }

    async fn run(&self, command: Command, purpose: &str) -> Result<Output> {
        let output = self.output(command, purpose).await?;
        if output.status.success() {
            return Ok(output);
        }
        Err(embedded_error(
            format!(
                "could not {purpose} ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            INSTALL_HINT,
        ))
    }
}

const INSTALL_HINT: &str = "Install the PostgreSQL server (Debian: `apt-get install postgresql`), \
     pass --pg-bin-dir, or set DATABASE_URL to use an existing server.";

fn embedded_error(problem: impl Into<String>, hint: &str) -> Error {
    Error::EmbeddedPostgres {
        problem: problem.into(),
        hint: hint.to_owned(),
    }
}

/// Finds the directory holding `initdb` and `pg_ctl`: the one given, else
/// `pg_config --bindir`, else the newest Debian-style `/usr/lib/postgresql/N/bin`,
/// else `$PATH`.
fn find_bin_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = explicit {
        return if has_tools(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(embedded_error(
                format!("{} holds no initdb and pg_ctl", dir.display()),
                INSTALL_HINT,
            ))
        };
    }
    let from_pg_config = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort();
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    from_pg_config
        .into_iter()
        .chain(debian.into_iter().rev().map(|(_, dir)| dir))
        .chain(on_path)
        .find(|dir| has_tools(dir))
        .ok_or_else(|| {
            embedded_error(
                "no PostgreSQL server binaries (initdb, pg_ctl) found",
                INSTALL_HINT,
            )
        })
}

/// PostgreSQL refuses to run as root. Under root we hand the cluster to the
/// `postgres` system user (made by the distribution's packages), else `nobody`.
fn unprivileged_owner() -> Result<Option<User>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = User::from_name(name) {
            return Ok(Some(user));
        }
    }
    Err(embedded_error(
        "running as root, and there is no `postgres` or `nobody` user to run the cluster as",
        "Run tally as an ordinary user, or set DATABASE_URL.",
    ))
}

/// Every ancestor of the data directory must be searchable by the cluster's
/// owner, or the server cannot reach its files (e.g. a directory under /root).
fn check_reachable_by(owner: &User, root: &Path) -> Result<()> {
    for dir in root.ancestors().skip(1) {
        let meta = std::fs::metadata(dir).map_err(Error::io(dir))?;
        let mode = meta.mode();
        let searchable = if meta.uid() == owner.uid.as_raw() {
            mode & 0o100 != 0
        } else if Gid::from_raw(meta.gid()) == owner.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !searchable {
            return Err(embedded_error(
                format!(
                    "the cluster runs as user `{}`, which cannot enter {}",
                    owner.name,
                    dir.display()
                ),
                "Pass a --data-dir outside that directory (e.g. under /var/lib or /tmp), or set DATABASE_URL.",
            ));
        }
    }
    Ok(())
}

fn tail_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_server_binaries_is_refused_with_what_to_do() {
        let empty = tempfile::tempdir().unwrap();
        let error = PrivateCluster::new(empty.path(), Some(empty.path())).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("holds no initdb and pg_ctl"), "{message}");
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");
    }

    #[test]
    fn an_overlong_socket_path_is_refused_before_anything_is_created() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("d".repeat(120));
        let cluster = PrivateCluster::new(&root, None)
            .expect("PostgreSQL server binaries (scripts/bootstrap installs them)");
        let message = cluster.prepare_directories().unwrap_err().to_string();
        assert!(
            message.contains("too long") && message.contains("--data-dir"),
            "{message}"
        );
        assert!(!root.exists());
    }
}
