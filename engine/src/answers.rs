//! Answers remembered between requests. Each is kept with the store's
//! generation it was computed under and is used only while that generation
//! is current, so a write anywhere (in this process or, through
//! notifications, another) retires every answer it could affect.
//!
//! Kept answers are bounded twice: by count, and by their weight in bytes
//! (as JSON, near enough to what they hold in memory), since one answer can
//! be a few bytes or a few hundred kilobytes.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Entry<V> {
    generation: u64,
    at: Instant,
    value: V,
    weight: usize,
}

pub(crate) struct Answers<K, V> {
    kept: Mutex<Kept<K, V>>,
    capacity: usize,
    /// The most the kept answers may weigh together, in bytes.
    max_bytes: usize,
    weigh: fn(&V) -> usize,
    /// Answers that depend on the clock as well as the data expire.
    max_age: Option<Duration>,
}

/// The answers of the newest generation put so far; older ones can never
/// be used again, so they go as soon as a newer one comes.
struct Kept<K, V> {
    generation: u64,
    entries: HashMap<K, Entry<V>>,
    /// The entries' weights together.
    bytes: usize,
}

/// The length of `value` as JSON, counted without writing it anywhere.
pub(crate) fn json_bytes<T: serde::Serialize>(value: &T) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

impl<K: Hash + Eq, V: Clone> Answers<K, V> {
    /// At most `capacity` answers weighing `max_bytes` together by `weigh`.
    pub fn new(
        capacity: usize,
        max_bytes: usize,
        weigh: fn(&V) -> usize,
        max_age: Option<Duration>,
    ) -> Self {
        Self {
            kept: Mutex::new(Kept {
                generation: 0,
                entries: HashMap::new(),
                bytes: 0,
            }),
            capacity,
            max_bytes,
            weigh,
            max_age,
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept<K, V>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let kept = self.kept();
        let entry = kept.entries.get(key)?;
        let fresh = self.max_age.is_none_or(|age| entry.at.elapsed() < age);
        (entry.generation == generation && fresh).then(|| entry.value.clone())
    }

    /// How many answers are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.kept().entries.len()
    }

    /// What the kept answers weigh together.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.kept().bytes
    }

    /// Keeps `value`, computed under `generation` (read before computing it,
    /// so a write during the computation leaves it already stale).
    pub fn put(&self, key: K, generation: u64, value: V) {
        let mut kept = self.kept();
        if generation < kept.generation {
            // Computed before a write already seen: stale from the start.
            return;
        }
        if generation > kept.generation {
            kept.generation = generation;
            kept.entries.clear();
            kept.bytes = 0;
        }
        let weight = (self.weigh)(&value);
        if weight > self.max_bytes {
            return;
        }
        if let Some(replaced) = kept.entries.remove(&key) {
            kept.bytes -= replaced.weight;
        }
        // Full: start over (answers are cheap to compute again, and an
        // order of use would cost every read a write).
        if kept.entries.len() >= self.capacity || kept.bytes + weight > self.max_bytes {
            kept.entries.clear();
            kept.bytes = 0;
        }
        kept.bytes += weight;
        kept.entries.insert(
            key,
            Entry {
                generation,
                at: Instant::now(),
                value,
                weight,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_holds_only_for_its_generation() {
        let answers = Answers::new(10, 1 << 20, |_| 1, None);
        answers.put("a", 1, 7);
        assert_eq!(answers.get(&"a", 1), Some(7));
        assert_eq!(answers.get(&"a", 2), None);
        assert_eq!(answers.get(&"b", 1), None);
    }

    #[test]
    fn answers_of_an_older_generation_go_when_a_newer_one_comes() {
        let answers = Answers::new(10, 1 << 20, |_| 1, None);
        answers.put("a", 1, 1);
        answers.put("b", 1, 2);
        assert_eq!(answers.len(), 2);
        answers.put("c", 2, 3);
        assert_eq!(answers.len(), 1, "the older answers could never be used");
        assert_eq!(answers.get(&"c", 2), Some(3));
        // One computed before the write, put after it, is not kept.
        answers.put("late", 1, 4);
        assert_eq!(answers.get(&"late", 1), None);
        assert_eq!(answers.len(), 1);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let answers = Answers::new(2, 1 << 20, |_| 1, None);
        answers.put("a", 1, 1);
        answers.put("b", 1, 2);
        answers.put("c", 1, 3);
        assert_eq!(answers.len(), 1);
        assert_eq!(answers.get(&"c", 1), Some(3));
    }

    #[test]
    fn answers_with_a_max_age_expire() {
        let answers = Answers::new(2, 1 << 20, |_| 1, Some(Duration::ZERO));
        answers.put("a", 1, 1);
        assert_eq!(answers.get(&"a", 1), None);
    }

    #[test]
    fn answers_are_bounded_by_their_weight_too() {
        let answers: Answers<&str, String> = Answers::new(100, 10, String::len, None);
        answers.put("a", 1, "aaaa".into());
        answers.put("b", 1, "bbbb".into());
        assert_eq!((answers.len(), answers.bytes()), (2, 8));
        // Replacing an answer counts its new weight only.
        answers.put("b", 1, "bb".into());
        assert_eq!((answers.len(), answers.bytes()), (2, 6));
        // One that would pass the budget starts the cache over.
        answers.put("c", 1, "ccccc".into());
        assert_eq!((answers.len(), answers.bytes()), (1, 5));
        assert_eq!(answers.get(&"c", 1).as_deref(), Some("ccccc"));
        // One heavier than the whole budget is not kept at all.
        answers.put("huge", 1, "x".repeat(11));
        assert_eq!(answers.get(&"huge", 1), None);
        assert_eq!((answers.len(), answers.bytes()), (1, 5));
    }

    #[test]
    fn json_bytes_counts_what_serializing_writes() {
        let value = serde_json::json!({"a": [1, 2, 3], "b": "text"});
        assert_eq!(
            json_bytes(&value),
            serde_json::to_string(&value).unwrap().len()
        );
    }
}
