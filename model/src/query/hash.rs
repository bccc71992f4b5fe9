//! The short id of a query, as it appears in `/q/<hash>`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// 11 characters of base64url: a value of this type is always one, so
/// anything else a visitor types is refused where it is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QueryHash(String);

const LENGTH: usize = 11;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl QueryHash {
    /// `text` as a hash, if it could be one.
    pub fn parse(text: &str) -> Option<Self> {
        is_hash(text).then(|| Self(text.to_owned()))
    }

    /// The hash of a digest: its first 66 bits in base64url.
    pub(super) fn of_digest(digest: &[u8]) -> Self {
        let mut bits: u128 = 0;
        for byte in digest.iter().take(9) {
            bits = (bits << 8) | u128::from(*byte);
        }
        Self(
            (0..LENGTH)
                .map(|i| {
                    let sextet = (bits >> (66 - 6 * (i + 1))) & 63;
                    // A sextet is below 64: it always indexes the alphabet.
                    char::from(ALPHABET[usize::try_from(sextet).unwrap_or(0)])
                })
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether text could be a query hash (so anything else is a 404 at once).
pub fn is_hash(text: &str) -> bool {
    text.len() == LENGTH && text.bytes().all(|b| ALPHABET.contains(&b))
}

impl fmt::Display for QueryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for QueryHash {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        if is_hash(&text) {
            Ok(Self(text))
        } else {
            Err(format!("`{text}` is not a query id"))
        }
    }
}

impl From<QueryHash> for String {
    fn from(hash: QueryHash) -> Self {
        hash.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn every_digest_names_a_hash_that_reads_back(digest in proptest::collection::vec(proptest::num::u8::ANY, 9..33)) {
            let hash = QueryHash::of_digest(&digest);
            proptest::prop_assert_eq!(QueryHash::parse(hash.as_str()), Some(hash.clone()));
            proptest::prop_assert_eq!(QueryHash::try_from(hash.to_string()), Ok(hash));
        }

        #[test]
        fn text_is_a_hash_exactly_when_it_reads_as_one(text in "\\PC{0,14}|[A-Za-z0-9_-]{10,12}") {
            proptest::prop_assert_eq!(QueryHash::parse(&text).is_some(), is_hash(&text));
            proptest::prop_assert_eq!(QueryHash::try_from(text.clone()).is_ok(), is_hash(&text));
        }
    }

    #[test]
    fn only_eleven_base64url_characters_make_a_hash() {
        assert!(QueryHash::parse("AAAAAAAAAAA").is_some());
        assert!(QueryHash::parse("aZ09-_aZ09-").is_some());
        assert!(QueryHash::parse("AAAAAAAAAA").is_none());
        assert!(QueryHash::parse("AAAAAAAAAAAA").is_none());
        assert!(QueryHash::parse("AAAAAAAAAA/").is_none());
        assert!(QueryHash::parse("AAAAAAAAAAé").is_none());
        assert!(serde_json::from_str::<QueryHash>("\"../../etc/p\"").is_err());
        let hash: QueryHash = serde_json::from_str("\"AAAAAAAAAAA\"").unwrap();
        assert_eq!(serde_json::to_string(&hash).unwrap(), "\"AAAAAAAAAAA\"");
    }
}
