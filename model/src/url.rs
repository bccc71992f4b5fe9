//! Query strings, both ways: the tracker's filters live in its address.

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes (a malformed one stays as written); invalid UTF-8
/// becomes U+FFFD.
pub fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // A hex digit's value, which always fits a byte's half.
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|b| char::from(*b).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A link to a forge's page as given by the forge, if it is a web address;
/// anything else (`javascript:`, `data:`) becomes an inert `#`.
pub fn web_link(url: &str) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        url.to_owned()
    } else {
        "#".to_owned()
    }
}

/// The pairs of a query string (`a=1&b=x+y`), decoded as forms encode them.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| decode_component(&s.replace('+', " "));
            (decode(key), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_through_a_query_string_unchanged() {
        for text in ["plain", "two words", "a&b=c", "ünïcödé", "100%", "x+y"] {
            let query = format!("k={}", encode_component(text));
            assert_eq!(query_pairs(&query), vec![("k".into(), text.into())]);
        }
        assert_eq!(
            query_pairs("?q=crash+on+start&label=&state=open"),
            vec![
                ("q".into(), "crash on start".into()),
                ("label".into(), String::new()),
                ("state".into(), "open".into())
            ]
        );
        assert_eq!(decode_component("%zz%4"), "%zz%4");
    }

    #[test]
    fn only_web_addresses_are_links() {
        assert_eq!(
            web_link("https://github.com/o/r/issues/1"),
            "https://github.com/o/r/issues/1"
        );
        assert_eq!(
            web_link("http://127.0.0.1:4000/o/r"),
            "http://127.0.0.1:4000/o/r"
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:x",
            "data:text/html,x",
            "//evil",
        ] {
            assert_eq!(web_link(bad), "#", "{bad}");
        }
    }
}
