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

pub(super) struct Answers<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    capacity: usize,
    /// Answers that depend on the clock as well as the data expire.
    max_age: Option<Duration>,
}

impl<K: Hash + Eq, V: Clone> Answers<K, V> {
    pub fn new(capacity: usize, max_age: Option<Duration>) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
            max_age,
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let entries = self.entries();
        let entry = entries.get(key)?;
        let fresh = self.max_age.is_none_or(|age| entry.at.elapsed() < age);
        (entry.generation == generation && fresh).then(|| entry.value.clone())
    }

    /// Keeps `value`, computed under `generation` (read before computing it,
    /// so a write during the computation leaves it already stale).
    pub fn put(&self, key: K, generation: u64, value: V) {
        let mut entries = self.entries();
        if entries.len() >= self.capacity {
            entries.retain(|_, e| e.generation == generation);
            if entries.len() >= self.capacity {
                entries.clear();
            }
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
    fn a_full_cache_drops_stale_answers_first() {
        let answers = Answers::new(2, None);
        answers.put("old", 1, 1);
        answers.put("new", 2, 2);
        answers.put("newer", 2, 3);
        assert_eq!(answers.get(&"new", 2), Some(2));
        assert_eq!(answers.get(&"newer", 2), Some(3));
        assert_eq!(answers.get(&"old", 1), None);
    }

    #[test]
    fn answers_with_a_max_age_expire() {
        let answers = Answers::new(2, Some(Duration::ZERO));
        answers.put("a", 1, 1);
        assert_eq!(answers.get(&"a", 1), None);
    }
}
