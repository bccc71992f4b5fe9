//! Answers remembered between requests. Each is kept with the store's
//! generation it was computed under and is used only while that generation
//! is current, so a write anywhere (in this process or, through
//! notifications, another) retires every answer it could affect.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Entry<V> {
    generation: u64,
    at: Instant,
    value: V,
}

pub(crate) struct Answers<K, V> {
    kept: Mutex<Kept<K, V>>,
    capacity: usize,
    /// Answers that depend on the clock as well as the data expire.
    max_age: Option<Duration>,
}

/// The answers of the newest generation put so far; older ones can never
/// be used again, so they go as soon as a newer one comes.
struct Kept<K, V> {
    generation: u64,
    entries: HashMap<K, Entry<V>>,
}

impl<K: Hash + Eq, V: Clone> Answers<K, V> {
    pub fn new(capacity: usize, max_age: Option<Duration>) -> Self {
        Self {
            kept: Mutex::new(Kept {
                generation: 0,
                entries: HashMap::new(),
            }),
            capacity,
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
        }
        let entries = &mut kept.entries;
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                at: Instant::now(),
                value,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_holds_only_for_its_generation() {
        let answers = Answers::new(10, None);
        answers.put("a", 1, 7);
        assert_eq!(answers.get(&"a", 1), Some(7));
        assert_eq!(answers.get(&"a", 2), None);
        assert_eq!(answers.get(&"b", 1), None);
    }

    #[test]
    fn answers_of_an_older_generation_go_when_a_newer_one_comes() {
        let answers = Answers::new(10, None);
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
        let answers = Answers::new(2, None);
        answers.put("a", 1, 1);
        answers.put("b", 1, 2);
        answers.put("c", 1, 3);
        assert_eq!(answers.len(), 1);
        assert_eq!(answers.get(&"c", 1), Some(3));
    }

    #[test]
    fn answers_with_a_max_age_expire() {
        let answers = Answers::new(2, Some(Duration::ZERO));
        answers.put("a", 1, 1);
        assert_eq!(answers.get(&"a", 1), None);
    }
}
