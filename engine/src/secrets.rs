//! Encryption of forge tokens at rest: XChaCha20-Poly1305 under the
//! installation's key, a fresh random nonce per value, and associated data
//! naming the row and field, so a value copied to another row (or from the
//! access to the refresh column) fails to decrypt instead of being used.
//!
//! Stored as `1 ‖ nonce (24 bytes) ‖ ciphertext with tag`.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::error::{Error, Result};

const VERSION: u8 = 1;
const NONCE: usize = 24;

/// The installation's key. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Cipher {
    aead: XChaCha20Poly1305,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(<key>)")
    }
}

impl Cipher {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            aead: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// A key written as 64 hexadecimal digits or as base64 of 32 bytes.
    pub fn from_text(text: &str) -> Result<Self> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<std::result::Result<Vec<u8>, _>>()
                .map_err(|e| Error::Secret(e.to_string()))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
                .map_err(|_| {
                    Error::Secret("the key is neither 64 hexadecimal digits nor base64".into())
                })?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            Error::Secret(format!("the key must be 32 bytes, not {}", bytes.len()))
        })?;
        Ok(Self::new(key))
    }

    /// A new random key, as base64 (what [`Cipher::from_text`] reads).
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// Encrypts `plain`, bound to `context` (which row and field it is).
    pub fn seal(&self, plain: &str, context: &str) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Error::Secret("encryption failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Cipher::seal`] made for the same `context`.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<String> {
        let refuse = || {
            Error::Secret(
                "a stored token does not decrypt with this installation's key (was the key changed?); sign in again"
                    .into(),
            )
        };
        let (version, rest) = sealed.split_first().ok_or_else(refuse)?;
        if *version != VERSION || rest.len() < NONCE {
            return Err(refuse());
        }
        let (nonce, body) = rest.split_at(NONCE);
        let plain = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| refuse())?;
        String::from_utf8(plain).map_err(|_| refuse())
    }
}

/// Whether a secret sent back (a CSRF token, an OAuth `state`) equals the
/// one kept, in time that does not depend on where they differ.
pub fn same_token(sent: &str, kept: &str) -> bool {
    let (sent, kept) = (sent.as_bytes(), kept.as_bytes());
    sent.len() == kept.len() && sent.iter().zip(kept).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(500))]

        #[test]
        fn a_sealed_token_opens_to_itself_and_any_change_is_refused(
            plain in "\\PC{0,80}",
            context in "[a-z]{1,10}/[0-9]{1,6}/[a-z]{1,8}",
            flip in proptest::num::usize::ANY,
            bit in 0u8..8,
        ) {
            let cipher = Cipher::new([7; 32]);
            let sealed = cipher.seal(&plain, &context).unwrap();
            proptest::prop_assert_eq!(cipher.open(&sealed, &context).unwrap(), plain);
            let mut tampered = sealed.clone();
            let at = flip % tampered.len();
            tampered[at] ^= 1 << bit;
            proptest::prop_assert!(cipher.open(&tampered, &context).is_err());
            proptest::prop_assert!(cipher.open(&sealed[..at], &context).is_err());
            let other = format!("{context}x");
            proptest::prop_assert!(cipher.open(&sealed, &other).is_err());
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
        assert!(!same_token("", "abc"));
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_context() {
        let cipher = Cipher::from_text(&Cipher::generate_key()).unwrap();
        let sealed = cipher.seal("gho_secret-token", "github/1/access").unwrap();
        assert!(
            !sealed.windows(6).any(|w| w == b"secret"),
            "no plaintext in the sealed bytes"
        );
        assert_eq!(
            cipher.open(&sealed, "github/1/access").unwrap(),
            "gho_secret-token"
        );
        assert!(cipher.open(&sealed, "github/2/access").is_err());
        let other = Cipher::from_text(&Cipher::generate_key()).unwrap();
        assert!(other.open(&sealed, "github/1/access").is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(cipher.open(&tampered, "github/1/access").is_err());
        // Two seals of one token differ (fresh nonces).
        assert_ne!(
            sealed,
            cipher.seal("gho_secret-token", "github/1/access").unwrap()
        );
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_and_bad_ones_are_named() {
        assert!(Cipher::from_text(&"ab".repeat(32)).is_ok());
        let short = Cipher::from_text("c2hvcnQ=").unwrap_err();
        assert!(short.to_string().contains("32 bytes"), "{short}");
        let garbage = Cipher::from_text("not a key!").unwrap_err();
        assert!(garbage.to_string().contains("hexadecimal"), "{garbage}");
        assert_eq!(format!("{:?}", Cipher::new([7; 32])), "Cipher(<key>)");
    }
}
