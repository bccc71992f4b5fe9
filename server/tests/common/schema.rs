//! A check of JSON against the OpenAPI 3.1 schemas Tally's document holds:
//! the parts of JSON Schema utoipa writes (`$ref`, `type` and type lists,
//! `oneOf`/`anyOf`/`allOf`, `enum`, `properties`, `required`, `items`,
//! `minimum`). Properties a schema does not declare are problems too: an
//! answer must not carry fields its documentation hides.

use serde_json::Value;

/// Every way `value` breaks `schema`, each with where (`$.results[3].id`).
pub fn problems(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    check(doc, schema, value, "$", true, &mut found);
    found
}

/// The property names `schema` declares, with those of its `allOf` parts
/// (how utoipa writes a flattened struct).
fn declared(doc: &Value, schema: &Value) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        return declared(doc, resolve(doc, reference));
    }
    let own = schema["properties"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.keys().cloned());
    let parts = schema["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|part| declared(doc, part));
    own.chain(parts).collect()
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let path = reference.trim_start_matches("#/");
    path.split('/').fold(doc, |node, key| &node[key])
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `strict`: fields the schema does not declare are problems (off for the
/// parts of an `allOf`, which each declare some of them).
fn check(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    strict: bool,
    found: &mut Vec<String>,
) {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = resolve(doc, reference);
        if target.is_null() {
            found.push(format!("{at}: {reference} is not in the document"));
            return;
        }
        check(doc, target, value, at, strict, found);
        return;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[key].as_array() {
            let fits = branches
                .iter()
                .filter(|b| problems(doc, b, value).is_empty())
                .count();
            let ok = if key == "oneOf" { fits == 1 } else { fits >= 1 };
            if !ok {
                found.push(format!("{at}: {fits} branches of {key} fit {value}"));
            }
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check(doc, part, value, at, false, found);
        }
    }
    let actual = type_of(value);
    let allowed: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let fits_type = allowed.is_empty()
        || allowed.contains(&actual)
        || (actual == "integer" && allowed.contains(&"number"));
    if !fits_type {
        found.push(format!("{at}: {actual} where the schema says {allowed:?}"));
        return;
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        found.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let (Some(minimum), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < minimum
    {
        found.push(format!("{at}: {n} is below the minimum {minimum}"));
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                found.push(format!("{at}: the required `{name}` is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, field) in fields {
            if let Some(property) = properties.and_then(|p| p.get(name)) {
                check(doc, property, field, &format!("{at}.{name}"), true, found);
            }
        }
        let open = schema["additionalProperties"] == Value::Bool(true);
        let known = declared(doc, schema);
        if strict && !open && (properties.is_some() || !known.is_empty()) {
            for name in fields.keys().filter(|name| !known.contains(name)) {
                found.push(format!("{at}: `{name}` is not in the schema"));
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, element) in items.iter().enumerate() {
            check(doc, item, element, &format!("{at}[{i}]"), true, found);
        }
    }
}
