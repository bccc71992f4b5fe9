//! The key forge tokens are sealed with: from the configuration, or else
//! generated once and kept in `<data-dir>/secret.key` (readable by its
//! owner only). Losing it means signing in again, not losing data.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use engine::secrets::Cipher;

use crate::error::ServerError;

const FILE: &str = "secret.key";

pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<Cipher, ServerError> {
    if let Some(text) = configured {
        return Cipher::from_text(text)
            .map_err(|e| ServerError::Config(format!("--secret-key / TALLY_SECRET_KEY: {e}")));
    }
    remove_abandoned_drafts(data_dir);
    let path = data_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Cipher::from_text(&text)
            .map_err(|e| ServerError::Config(format!("{}: {e}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = create(&path, data_dir)?;
            Cipher::from_text(&key)
                .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))
        }
        Err(error) => Err(ServerError::Config(format!(
            "cannot read {}: {error}",
            path.display()
        ))),
    }
}

/// Removes the drafts of processes killed while writing their key (see
/// [`create`]): a draft names its writer, and one whose writer is gone was
/// never linked, or was linked and is the key already.
fn remove_abandoned_drafts(data_dir: &Path) {
    let processes = Path::new("/proc");
    // Without /proc a live writer cannot be told from a dead one.
    if !processes.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(data_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(writer) = name.to_str().and_then(draft_writer) else {
            continue;
        };
        if !processes.join(writer.to_string()).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The process id in a draft's name, `.secret.key.<pid>.<random>`.
fn draft_writer(name: &str) -> Option<u32> {
    let rest = name
        .strip_prefix('.')?
        .strip_prefix(FILE)?
        .strip_prefix('.')?;
    rest.split('.').next()?.parse().ok()
}

/// Generates the key and puts it at `path` whole: written to a file of
/// its own and synced, then linked into place, which fails if another
/// process starting at the same time put its key there first; that key is
/// then the one used (by both). Returns the key in the file.
fn create(path: &Path, data_dir: &Path) -> Result<String, ServerError> {
    let failed = |what: &str, e: std::io::Error| {
        ServerError::Config(format!("cannot {what} {}: {e}", path.display()))
    };
    std::fs::create_dir_all(data_dir)
        .map_err(|e| ServerError::Config(format!("cannot create {}: {e}", data_dir.display())))?;
    let key = Cipher::generate_key();
    let draft = data_dir.join(format!(
        ".{FILE}.{}.{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&draft)?;
        file.write_all(key.as_bytes())?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&draft);
        return Err(failed("write", e));
    }
    let linked = std::fs::hard_link(&draft, path);
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => {
            // The directory entry too, so the key survives a crash.
            if let Ok(dir) = std::fs::File::open(data_dir) {
                let _ = dir.sync_all();
            }
            tracing::info!(path = %path.display(), "generated the key forge tokens are encrypted with");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path).map_err(|e| failed("read", e))
        }
        Err(e) => Err(failed("create", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = load(None, dir.path()).unwrap();
        let sealed = first.seal("token", "ctx").unwrap();
        let again = load(None, dir.path()).unwrap();
        assert_eq!(again.open(&sealed, "ctx").unwrap(), "token");
        let mode = std::fs::metadata(dir.path().join(FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let bad = load(Some("short"), dir.path()).unwrap_err().to_string();
        assert!(bad.contains("TALLY_SECRET_KEY"), "{bad}");
    }

    /// Where [`writes_keys_until_killed`] writes, when run as a child.
    const CHILD_DIR: &str = "TALLY_TEST_KEY_WRITER_DIR";

    #[test]
    #[ignore = "a child process of a_kill_during_key_generation_leaves_a_whole_key_or_none"]
    fn writes_keys_until_killed() {
        let Some(root) = std::env::var_os(CHILD_DIR) else {
            return;
        };
        for round in 0_u64.. {
            load(None, &Path::new(&root).join(round.to_string())).unwrap();
        }
    }

    #[test]
    fn a_kill_during_key_generation_leaves_a_whole_key_or_none() {
        let root = tempfile::tempdir().unwrap();
        let (mut kills, mut killed_mid_write) = (0, 0);
        while killed_mid_write < 5 {
            assert!(
                kills < 300,
                "only {killed_mid_write} of {kills} kills landed while a key was being written"
            );
            let runs = root.path().join(kills.to_string());
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "secret_key::tests::writes_keys_until_killed"])
                .args(["--ignored", "--test-threads=1", "--quiet"])
                .env(CHILD_DIR, &runs)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(
                20 + rand::random::<u64>() % 40,
            ));
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            let Ok(dirs) = std::fs::read_dir(&runs) else {
                continue; // killed before its first key
            };
            for dir in dirs {
                let dir = dir.unwrap().path();
                let drafts = || {
                    std::fs::read_dir(&dir)
                        .unwrap()
                        .filter(|e| e.as_ref().unwrap().file_name() != FILE)
                        .count()
                };
                if drafts() > 0 {
                    killed_mid_write += 1;
                }
                // A key left behind is whole; none left means a new one.
                if let Ok(text) = std::fs::read_to_string(dir.join(FILE)) {
                    Cipher::from_text(&text).unwrap();
                }
                let sealed = load(None, &dir).unwrap().seal("token", "ctx").unwrap();
                let again = load(None, &dir).unwrap();
                assert_eq!(again.open(&sealed, "ctx").unwrap(), "token");
                assert_eq!(drafts(), 0, "the dead writer's draft is removed");
            }
        }
    }

    #[test]
    fn draft_names_give_their_writer() {
        assert_eq!(
            draft_writer(".secret.key.4242.00ff00ff00ff00ff"),
            Some(4242)
        );
        assert_eq!(draft_writer("secret.key"), None);
        assert_eq!(draft_writer(".secret.keyx.1.2"), None);
        assert_eq!(draft_writer(".other.4242.1"), None);
    }

    #[test]
    fn processes_starting_together_end_with_one_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().to_owned();
            let keys: Vec<String> = std::thread::scope(|scope| {
                let racers: Vec<_> = (0..8)
                    .map(|_| scope.spawn(|| create(&path.join(FILE), &path).unwrap()))
                    .collect();
                racers.into_iter().map(|r| r.join().unwrap()).collect()
            });
            let kept = std::fs::read_to_string(path.join(FILE)).unwrap();
            assert!(
                keys.iter().all(|k| *k == kept),
                "every starter uses the kept key"
            );
            let leftovers = std::fs::read_dir(&path).unwrap().count();
            assert_eq!(leftovers, 1, "no draft left behind");
        }
    }
}
