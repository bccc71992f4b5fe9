//! The Content-Security-Policy every page is sent with: scripts run only
//! from Tally's own files or carrying the nonce made for this response
//! (the inline ones Leptos writes, and the theme's), so a name that slipped
//! past escaping still could not run. Styles come from Tally's stylesheet;
//! inline `style` attributes stay allowed for the graphs' sizes and
//! ECharts' tooltips. The headers every response carries (pages, files
//! and the API alike) are set in the server's router.

use leptos::prelude::*;

/// The policy for a page whose inline scripts carry `nonce`.
pub fn policy(nonce: &str) -> String {
    [
        "default-src 'self'".to_owned(),
        // wasm-unsafe-eval: compiling the page's own WebAssembly.
        format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        "style-src 'self'".to_owned(),
        "style-src-attr 'unsafe-inline'".to_owned(),
        "img-src 'self' data:".to_owned(),
        "connect-src 'self'".to_owned(),
        "object-src 'none'".to_owned(),
        "base-uri 'self'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
    ]
    .join("; ")
}

/// Sends the policy with the page being rendered, with this render's nonce.
pub fn send_policy() {
    let (Some(nonce), Some(response)) =
        (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&policy(&nonce)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tally_s_files_and_the_nonce_let_a_script_run() {
        let policy = policy("abc123");
        let directive = |name: &str| {
            policy
                .split("; ")
                .find_map(|d| d.strip_prefix(name)?.strip_prefix(' '))
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            directive("script-src"),
            "'self' 'nonce-abc123' 'wasm-unsafe-eval'"
        );
        assert_eq!(directive("style-src"), "'self'");
        assert_eq!(directive("frame-ancestors"), "'none'");
        assert_eq!(directive("object-src"), "'none'");
        // Inline code is allowed nowhere but in style attributes.
        for d in policy
            .split("; ")
            .filter(|d| !d.starts_with("style-src-attr"))
        {
            assert!(
                !d.contains("unsafe-inline") && !d.contains("'unsafe-eval'"),
                "{d}"
            );
        }
    }
}
