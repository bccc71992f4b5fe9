//! Light, dark or follow-the-system colour theme, remembered in localStorage.

use leptos::prelude::*;

#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "only the browser build calls it")
)]
const STORAGE_KEY: &str = "tally.theme";

/// Inline script run in `<head>` before first paint: applies the stored (or
/// system) theme so a dark page never flashes light while the wasm loads.
pub const THEME_BOOTSTRAP_SCRIPT: &str = r#"(function(){try{var t=localStorage.getItem("tally.theme");if(t!=="light"&&t!=="dark"){t=matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light"}document.documentElement.dataset.theme=t}catch(e){}})();"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ThemeChoice {
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    fn next(self) -> Self {
        match self {
            Self::System => Self::Light,
            Self::Light => Self::Dark,
            Self::Dark => Self::System,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::Light => "Light",
            Self::Dark => "Dark",
        }
    }

    fn icon(self) -> &'static str {
        match self {
            Self::System => "◐",
            Self::Light => "☀",
            Self::Dark => "☾",
        }
    }

    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "only the browser build calls it")
    )]
    fn parse(stored: Option<&str>) -> Self {
        match stored {
            Some("light") => Self::Light,
            Some("dark") => Self::Dark,
            _ => Self::System,
        }
    }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    // The server cannot know the stored choice; the browser adopts it after hydration.
    let (choice, set_choice) = signal(ThemeChoice::System);
    Effect::new(move |_| set_choice.set(browser::stored_choice()));

    let cycle = move |_| {
        let next = choice.get_untracked().next();
        browser::apply(next);
        set_choice.set(next);
    };

    view! {
        <button
            type="button"
            class="theme-toggle"
            data-choice=move || choice.get().as_str()
            aria-label=move || format!("Colour theme: {}. Activate to change.", choice.get().label())
            title="Change colour theme"
            on:click=cycle
        >
            <span class="theme-toggle__icon" aria-hidden="true">{move || choice.get().icon()}</span>
            <span class="theme-toggle__label">{move || choice.get().label()}</span>
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{STORAGE_KEY, ThemeChoice};

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn stored_choice() -> ThemeChoice {
        let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        ThemeChoice::parse(stored.as_deref())
    }

    /// Persists the choice and sets `data-theme` on `<html>`, resolving
    /// "system" through the `prefers-color-scheme` media query.
    pub fn apply(choice: ThemeChoice) {
        if let Some(storage) = storage() {
            let _ = match choice {
                ThemeChoice::System => storage.remove_item(STORAGE_KEY),
                _ => storage.set_item(STORAGE_KEY, choice.as_str()),
            };
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let resolved = match choice {
            ThemeChoice::System => {
                let prefers_dark = window
                    .match_media("(prefers-color-scheme: dark)")
                    .ok()
                    .flatten()
                    .is_some_and(|query| query.matches());
                if prefers_dark { "dark" } else { "light" }
            }
            _ => choice.as_str(),
        };
        if let Some(root) = window.document().and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-theme", resolved);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::ThemeChoice;

    pub fn stored_choice() -> ThemeChoice {
        ThemeChoice::System
    }

    pub fn apply(_: ThemeChoice) {}
}

#[cfg(test)]
mod tests {
    use super::ThemeChoice;

    #[test]
    fn cycling_visits_every_choice_and_returns() {
        let start = ThemeChoice::System;
        let visited = [
            start.next(),
            start.next().next(),
            start.next().next().next(),
        ];
        assert_eq!(
            visited,
            [ThemeChoice::Light, ThemeChoice::Dark, ThemeChoice::System]
        );
    }

    #[test]
    fn bootstrap_script_reads_the_same_key_the_toggle_writes() {
        assert!(super::THEME_BOOTSTRAP_SCRIPT.contains(&format!("\"{}\"", super::STORAGE_KEY)));
    }

    #[test]
    fn unknown_stored_values_fall_back_to_system() {
        assert_eq!(ThemeChoice::parse(Some("dark")), ThemeChoice::Dark);
        assert_eq!(ThemeChoice::parse(Some("purple")), ThemeChoice::System);
        assert_eq!(ThemeChoice::parse(None), ThemeChoice::System);
    }
}
