//! Offset paging with RFC 8288 `link` headers, as GitHub and GitLab send them.

use std::collections::BTreeMap;

/// A page request. `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: usize,
    pub per_page: usize,
}

impl PageRequest {
    /// Reads `page` and `per_page` from a query; out-of-range sizes are
    /// clamped as the forges do (`per_page=500` gives `max`).
    pub fn from_query(query: &BTreeMap<String, String>, default: usize, max: usize) -> Self {
        let number = |key: &str| query.get(key).and_then(|value| value.parse::<usize>().ok());
        Self {
            page: number("page").filter(|p| *p > 0).unwrap_or(1),
            per_page: number("per_page")
                .filter(|p| *p > 0)
                .unwrap_or(default)
                .min(max),
        }
    }

    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1)
            .saturating_mul(self.per_page)
            .min(items.len());
        let end = start.saturating_add(self.per_page).min(items.len());
        &items[start..end]
    }

    pub fn last_page(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }

    /// The `link` header for this page of `total` items, or `None` when they
    /// fit on one page. `url` is the absolute URL without `page`.
    pub fn link_header(
        &self,
        base_url: &str,
        path: &str,
        query: &BTreeMap<String, String>,
        total: usize,
    ) -> Option<String> {
        let last = self.last_page(total);
        if last <= 1 && self.page <= 1 {
            return None;
        }
        let href = |page: usize| {
            let mut query = query.clone();
            query.insert("per_page".into(), self.per_page.to_string());
            query.insert("page".into(), page.to_string());
            let encoded: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            format!("<{base_url}{path}?{}>", encoded.join("&"))
        };
        let mut links = Vec::new();
        if self.page > 1 {
            links.push(format!("{}; rel=\"prev\"", href(self.page - 1)));
        }
        if self.page < last {
            links.push(format!("{}; rel=\"next\"", href(self.page + 1)));
            links.push(format!("{}; rel=\"last\"", href(last)));
        }
        if self.page > 1 {
            links.push(format!("{}; rel=\"first\"", href(1)));
        }
        Some(links.join(", "))
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sizes_are_defaulted_and_clamped() {
        assert_eq!(
            PageRequest::from_query(&query(&[]), 30, 100),
            PageRequest {
                page: 1,
                per_page: 30
            }
        );
        let clamped =
            PageRequest::from_query(&query(&[("per_page", "500"), ("page", "0")]), 30, 100);
        assert_eq!(
            clamped,
            PageRequest {
                page: 1,
                per_page: 100
            }
        );
    }

    #[test]
    fn links_follow_githubs_order_on_first_middle_and_last_pages() {
        let q = query(&[("state", "all")]);
        let first = PageRequest {
            page: 1,
            per_page: 2,
        }
        .link_header("http://h", "/x", &q, 5)
        .unwrap();
        assert_eq!(
            first,
            "<http://h/x?page=2&per_page=2&state=all>; rel=\"next\", <http://h/x?page=3&per_page=2&state=all>; rel=\"last\""
        );
        let middle = PageRequest {
            page: 2,
            per_page: 2,
        }
        .link_header("http://h", "/x", &q, 5)
        .unwrap();
        assert!(
            middle.contains("rel=\"prev\"")
                && middle.contains("rel=\"next\"")
                && middle.contains("rel=\"first\"")
        );
        let last = PageRequest {
            page: 3,
            per_page: 2,
        }
        .link_header("http://h", "/x", &q, 5)
        .unwrap();
        assert!(!last.contains("rel=\"next\"") && last.contains("rel=\"first\""));
        assert_eq!(
            PageRequest {
                page: 1,
                per_page: 30
            }
            .link_header("http://h", "/x", &q, 5),
            None
        );
    }

    #[test]
    fn slices_never_overrun() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(
            PageRequest {
                page: 3,
                per_page: 2
            }
            .slice(&items),
            &[5]
        );
        assert!(
            PageRequest {
                page: 9,
                per_page: 2
            }
            .slice(&items)
            .is_empty()
        );
    }

    #[test]
    fn query_components_are_encoded() {
        assert_eq!(encode("is:pr author:x"), "is%3Apr%20author%3Ax");
    }
}
