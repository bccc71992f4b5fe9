//! Conduit's calling convention: `POST /api/<method>` with form fields in
//! PHP's nested style (`constraints[authorPHIDs][0]=…`), or one `params`
//! field holding JSON; the token as `api.token` or `__conduit__.token`.

use serde_json::{Map, Value};

/// A call's parameters as one JSON object, and the token it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub params: Map<String, Value>,
    pub token: Option<String>,
}

impl Call {
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| format!("Unable to parse request: {e}"))?;
        let mut params = Map::new();
        let mut token = None;
        for (key, value) in pairs {
            match key.as_str() {
                "params" => {
                    let json: Value = serde_json::from_str(&value)
                        .map_err(|_| "Unable to parse \"params\" as JSON.".to_owned())?;
                    if let Value::Object(map) = json {
                        params.extend(map);
                    }
                }
                "api.token" | "access_token" => token = Some(value),
                _ if key.starts_with("api.") || key == "output" => {}
                _ => insert_nested(&mut params, &key, value),
            }
        }
        if let Some(Value::Object(meta)) = params.remove("__conduit__")
            && let Some(Value::String(t)) = meta.get("token")
        {
            token = Some(t.clone());
        }
        Ok(Self {
            params: arrays_from_indexes(Value::Object(params))
                .as_object()
                .cloned()
                .unwrap_or_default(),
            token,
        })
    }
}

/// `a[b][0]=v` into `{"a": {"b": {"0": "v"}}}`.
fn insert_nested(root: &mut Map<String, Value>, key: &str, value: String) {
    let mut path: Vec<&str> = Vec::new();
    let (head, mut rest) = key.split_once('[').map_or((key, ""), |(h, r)| (h, r));
    path.push(head);
    while let Some((segment, after)) = rest.split_once(']') {
        path.push(segment);
        rest = after.strip_prefix('[').unwrap_or(after);
    }
    let mut node = root;
    for segment in &path[..path.len() - 1] {
        let child = node
            .entry((*segment).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        let Value::Object(map) = child else { return };
        node = map;
    }
    if let Some(last) = path.last() {
        node.insert((*last).to_owned(), Value::String(value));
    }
}

/// Objects whose keys are exactly 0, 1, 2, … become arrays, as PHP's do.
fn arrays_from_indexes(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut indexes: Vec<usize> = map.keys().filter_map(|k| k.parse().ok()).collect();
            indexes.sort_unstable();
            let is_list = !map.is_empty()
                && indexes.len() == map.len()
                && indexes.iter().enumerate().all(|(i, n)| i == *n);
            if is_list {
                let mut items: Vec<(usize, Value)> = map
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, arrays_from_indexes(v))))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, arrays_from_indexes(v)))
                        .collect(),
                )
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parameters as callers send them: objects of strings, lists and
    /// objects, a few levels deep (keys are names, not indexes).
    fn params() -> impl proptest::strategy::Strategy<Value = Map<String, Value>> {
        use proptest::prelude::*;
        let leaf = "[A-Za-z0-9 -]{0,10}".prop_map(Value::String);
        let value = leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..3).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z][a-zA-Z]{0,6}", inner, 1..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        proptest::collection::btree_map("[a-z][a-zA-Z]{0,8}", value, 0..4)
            .prop_map(|m| m.into_iter().collect())
    }

    /// `a[b][0]=v` pairs, as PHP clients write a call's fields.
    fn php_fields(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Array(items) => {
                for (n, item) in items.iter().enumerate() {
                    php_fields(&format!("{prefix}[{n}]"), item, out);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    php_fields(&format!("{prefix}[{key}]"), item, out);
                }
            }
            Value::String(text) => out.push((prefix.to_owned(), text.clone())),
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn fields_and_json_params_read_as_sent(params in params(), token in "api-[a-z0-9]{1,12}") {
            let mut fields = vec![("api.token".to_owned(), token.clone())];
            for (key, value) in &params {
                php_fields(key, value, &mut fields);
            }
            let body = serde_urlencoded::to_string(&fields).unwrap();
            let call = Call::parse(body.as_bytes()).unwrap();
            proptest::prop_assert_eq!(&call.params, &params);
            proptest::prop_assert_eq!(call.token.as_deref(), Some(token.as_str()));
            // As Tally sends it: one JSON `params`, the token inside.
            let mut with_token = params.clone();
            with_token.insert("__conduit__".into(), serde_json::json!({ "token": token }));
            let body = serde_urlencoded::to_string([("params", Value::Object(with_token).to_string())]).unwrap();
            let call = Call::parse(body.as_bytes()).unwrap();
            proptest::prop_assert_eq!(call.params, params);
            proptest::prop_assert_eq!(call.token, Some(token));
        }

        #[test]
        fn no_body_makes_the_parser_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let _ = Call::parse(&body);
        }
    }
    use serde_json::json;

    #[test]
    fn php_style_fields_nest_and_index() {
        let call = Call::parse(
            b"api.token=api-abc&constraints%5BauthorPHIDs%5D%5B0%5D=PHID-USER-1&constraints%5BauthorPHIDs%5D%5B1%5D=PHID-USER-2&limit=5",
        )
        .unwrap();
        assert_eq!(call.token.as_deref(), Some("api-abc"));
        assert_eq!(
            Value::Object(call.params),
            json!({ "constraints": { "authorPHIDs": ["PHID-USER-1", "PHID-USER-2"] }, "limit": "5" })
        );
    }

    #[test]
    fn a_params_field_carries_json_and_the_token() {
        let body = serde_urlencoded::to_string([(
            "params",
            r#"{"constraints":{"ids":[3]},"__conduit__":{"token":"api-xyz"}}"#,
        )])
        .unwrap();
        let call = Call::parse(body.as_bytes()).unwrap();
        assert_eq!(call.token.as_deref(), Some("api-xyz"));
        assert_eq!(call.params["constraints"]["ids"], json!([3]));
        assert!(Call::parse(b"params=%7Bnot").is_err());
    }
}
