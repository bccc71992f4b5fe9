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
