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
            let key = Cipher::generate_key();
            std::fs::create_dir_all(data_dir).map_err(|e| {
                ServerError::Config(format!("cannot create {}: {e}", data_dir.display()))
            })?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| {
                    ServerError::Config(format!("cannot create {}: {e}", path.display()))
                })?;
            file.write_all(key.as_bytes()).map_err(|e| {
                ServerError::Config(format!("cannot write {}: {e}", path.display()))
            })?;
            tracing::info!(path = %path.display(), "generated the key forge tokens are encrypted with");
            Cipher::from_text(&key).map_err(|e| ServerError::Config(e.to_string()))
        }
        Err(error) => Err(ServerError::Config(format!(
            "cannot read {}: {error}",
            path.display()
        ))),
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
}
