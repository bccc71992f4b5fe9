//! The label and account patterns of a report, compiled once and checked:
//! at most [`MOST_PATTERNS`] per kind, each a valid regular expression of
//! bounded size, matched case-insensitively.

use model::report::{MOST_PATTERNS, ReportPatterns};
use regex::{Regex, RegexBuilder};

use crate::error::{Error, Result};

/// The longest pattern taken, and the most memory one may compile to: a
/// visitor's pattern must not cost the server much.
const LONGEST_PATTERN: usize = 200;
const COMPILED_SIZE: usize = 1 << 20;

/// One kind of pattern, compiled.
#[derive(Debug, Clone)]
pub struct Patterns(Vec<Regex>);

impl Patterns {
    /// Compiles `patterns`; a problem is [`Error::Invalid`] naming `field`
    /// and the pattern.
    pub fn compile(field: &str, patterns: &[String]) -> Result<Self> {
        if patterns.len() > MOST_PATTERNS {
            return Err(Error::Invalid(format!(
                "{field}: at most {MOST_PATTERNS} patterns, not {}",
                patterns.len()
            )));
        }
        patterns
            .iter()
            .map(|pattern| compile_one(field, pattern))
            .collect::<Result<_>>()
            .map(Self)
    }

    /// Whether any pattern matches `text`.
    pub fn matches(&self, text: &str) -> bool {
        self.0.iter().any(|re| re.is_match(text))
    }

    /// Whether any of `labels` matches: an issue counts once however many do.
    pub fn any_label(&self, labels: &[String]) -> bool {
        labels.iter().any(|label| self.matches(label))
    }
}

fn compile_one(field: &str, pattern: &str) -> Result<Regex> {
    if pattern.trim().is_empty() {
        return Err(Error::Invalid(format!("{field}: a pattern is empty")));
    }
    if pattern.len() > LONGEST_PATTERN {
        return Err(Error::Invalid(format!(
            "{field}: a pattern is longer than {LONGEST_PATTERN} characters"
        )));
    }
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(COMPILED_SIZE)
        .build()
        .map_err(|e| {
            // The regex crate's message spans lines with a caret; the first
            // line after the pattern says what is wrong.
            let problem = e.to_string();
            let problem = problem
                .lines()
                .rev()
                .find(|l| l.starts_with("error:"))
                .unwrap_or(problem.lines().last().unwrap_or_default())
                .trim_start_matches("error: ")
                .to_owned();
            Error::Invalid(format!(
                "{field}: `{pattern}` is not a regular expression: {problem}"
            ))
        })
}

/// A report's patterns, every kind compiled.
#[derive(Debug, Clone)]
pub struct Classifier {
    pub bug: Patterns,
    pub performance: Patterns,
    pub bots: Patterns,
}

impl Classifier {
    pub fn new(patterns: &ReportPatterns) -> Result<Self> {
        Ok(Self {
            bug: Patterns::compile("bug", &patterns.bug)?,
            performance: Patterns::compile("performance", &patterns.performance)?,
            bots: Patterns::compile("bot", &patterns.bots)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_defaults_cover_the_usual_labels_and_nothing_else() {
        let c = Classifier::new(&ReportPatterns::default()).unwrap();
        for bug in ["bug", "Bug", "type: bug", "kind/bug", "Type:Bug", "defect"] {
            assert!(c.bug.matches(bug), "{bug}");
        }
        for other in ["debug", "bugfix-needed", "not a bug", "performance"] {
            assert!(!c.bug.matches(other), "{other}");
        }
        for perf in ["perf", "performance", "kind/performance", "slow"] {
            assert!(c.performance.matches(perf), "{perf}");
        }
        assert!(!c.performance.matches("slowly"));
        for bot in [
            "dependabot[bot]",
            "renovate-bot",
            "github-actions[bot]",
            "renovate",
        ] {
            assert!(c.bots.matches(bot), "{bot}");
        }
        assert!(!c.bots.matches("robot-arm-fan"));
    }

    #[test]
    fn bad_patterns_are_refused_naming_the_field_and_the_problem() {
        let error = Patterns::compile("bug", &strings(&["ok", "(unclosed"])).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("bug: `(unclosed` is not a regular expression"),
            "{message}"
        );
        let many: Vec<String> = (0..21).map(|n| format!("l{n}")).collect();
        assert!(
            Patterns::compile("performance", &many)
                .unwrap_err()
                .to_string()
                .contains("at most 20 patterns, not 21")
        );
        assert!(Patterns::compile("bots", &strings(&[" "])).is_err());
        assert!(Patterns::compile("bots", &["a".repeat(201)]).is_err());
        // A pattern that would compile to a huge automaton is refused too.
        assert!(Patterns::compile("bug", &strings(&[r"\w{1000}\w{1000}"])).is_err());
    }
}
