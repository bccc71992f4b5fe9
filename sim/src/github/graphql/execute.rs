//! A small GraphQL executor: selections (with aliases, fragments and inline
//! fragments), arguments with variables, connections, and errors shaped as
//! GitHub shapes them. The schema itself lives in [`super::schema`].

use std::collections::HashMap;

use graphql_parser::query::{
    Definition, Document, Field, OperationDefinition, Selection, SelectionSet, Value as Gql,
};
use serde_json::{Map, Value, json};

use super::schema::{self, Node};
use crate::server::SimState;

pub type Query<'q> = Document<'q, String>;

/// What a field resolves to before its sub-selection is applied.
pub enum Out<'w> {
    Scalar(Value),
    Object(Node<'w>),
    List(Vec<Out<'w>>),
    Null,
}

/// A field that failed. `static_error` marks problems GitHub finds before
/// running the query (unknown fields): then no `data` is returned at all.
#[derive(Debug)]
pub struct Failure {
    pub kind: Option<&'static str>,
    pub message: String,
    pub extensions: Option<Value>,
    pub static_error: bool,
}

impl Failure {
    /// An execution error with a GitHub `type` (`NOT_FOUND`, `VALIDATION`, …).
    pub fn typed(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: Some(kind),
            message: message.into(),
            extensions: None,
            static_error: false,
        }
    }

    pub fn undefined_field(type_name: &str, field: &str) -> Self {
        Self {
            kind: None,
            message: format!("Field '{field}' doesn't exist on type '{type_name}'"),
            extensions: Some(
                json!({ "code": "undefinedField", "typeName": type_name, "fieldName": field }),
            ),
            static_error: true,
        }
    }

    fn invalid(message: String) -> Self {
        Self {
            kind: None,
            message,
            extensions: None,
            static_error: true,
        }
    }
}

/// The arguments of one field, variables already substituted.
pub struct Args(Map<String, Value>);

impl Args {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
}

pub struct Context<'q, 'w> {
    pub state: &'w SimState,
    variables: Map<String, Value>,
    fragments: HashMap<String, &'q SelectionSet<'q, String>>,
    errors: Vec<Value>,
    path: Vec<Value>,
    static_errors: bool,
    /// Filled in once the query's cost is charged, for the `rateLimit` field.
    pub rate_limit: Option<Value>,
    /// The account the token acts for.
    pub viewer: Option<&'w crate::world::Account>,
}

/// The operation to run: the named one, or the only one.
pub fn operation<'a, 'q>(
    document: &'a Query<'q>,
    name: Option<&str>,
) -> Result<&'a SelectionSet<'q, String>, String> {
    let operations: Vec<(Option<&String>, &SelectionSet<'q, String>)> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Operation(OperationDefinition::Query(q)) => {
                Some((q.name.as_ref(), &q.selection_set))
            }
            Definition::Operation(OperationDefinition::SelectionSet(s)) => Some((None, s)),
            _ => None,
        })
        .collect();
    let mutations = document.definitions.iter().any(|d| {
        matches!(
            d,
            Definition::Operation(
                OperationDefinition::Mutation(_) | OperationDefinition::Subscription(_)
            )
        )
    });
    if mutations {
        return Err(
            "The simulator answers queries only; mutations and subscriptions are not served."
                .into(),
        );
    }
    match (name, operations.as_slice()) {
        (None, [(_, only)]) => Ok(only),
        (None, _) => Err("An operation name is required".into()),
        (Some(wanted), all) => all
            .iter()
            .find(|(n, _)| n.map(String::as_str) == Some(wanted))
            .map(|(_, s)| *s)
            .ok_or_else(|| format!("No operation named \"{wanted}\"")),
    }
}

impl<'q, 'w> Context<'q, 'w> {
    pub fn new(
        state: &'w SimState,
        document: &'q Query<'q>,
        variables: Map<String, Value>,
    ) -> Self {
        let mut defaults = Map::new();
        let mut fragments = HashMap::new();
        for definition in &document.definitions {
            match definition {
                Definition::Fragment(f) => {
                    fragments.insert(f.name.clone(), &f.selection_set);
                }
                Definition::Operation(OperationDefinition::Query(q)) => {
                    for v in &q.variable_definitions {
                        if let Some(default) = &v.default_value {
                            defaults.insert(v.name.clone(), to_json(default, &Map::new()));
                        }
                    }
                }
                Definition::Operation(_) => {}
            }
        }
        defaults.extend(variables);
        Self {
            state,
            variables: defaults,
            fragments,
            errors: Vec::new(),
            path: Vec::new(),
            static_errors: false,
            rate_limit: None,
            viewer: None,
        }
    }

    /// Runs the root selection: `{"data": …, "errors": […]}` as GitHub answers.
    pub fn run(mut self, root: &'q SelectionSet<'q, String>) -> Value {
        let mut data = Map::new();
        for field in self.fields(root, "Query") {
            let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
            self.path = vec![json!(key)];
            let value = self.field(&Node::Query, field).unwrap_or(Value::Null);
            data.insert(key, value);
        }
        let mut body = Map::new();
        if !self.static_errors {
            body.insert("data".into(), Value::Object(data));
        }
        if !self.errors.is_empty() {
            body.insert("errors".into(), Value::Array(self.errors));
        }
        Value::Object(body)
    }

    /// The fields of a selection, fragments expanded for `type_name`.
    fn fields(
        &self,
        set: &'q SelectionSet<'q, String>,
        type_name: &str,
    ) -> Vec<&'q Field<'q, String>> {
        let mut out = Vec::new();
        for selection in &set.items {
            match selection {
                Selection::Field(field) => out.push(field),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = self.fragments.get(&spread.fragment_name) {
                        out.extend(self.fields(fragment, type_name));
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline.type_condition.as_ref().is_none_or(|c| {
                        let graphql_parser::query::TypeCondition::On(on) = c;
                        schema::is_a(type_name, on)
                    });
                    if applies {
                        out.extend(self.fields(&inline.selection_set, type_name));
                    }
                }
            }
        }
        out
    }

    fn args(&self, field: &Field<'q, String>) -> Args {
        Args(
            field
                .arguments
                .iter()
                .map(|(name, value)| (name.clone(), to_json(value, &self.variables)))
                .collect(),
        )
    }

    /// Resolves one field of `node`; `Err` means the error is recorded and
    /// the nearest nullable ancestor becomes null.
    fn field(&mut self, node: &Node<'w>, field: &'q Field<'q, String>) -> Result<Value, ()> {
        if field.name == "__typename" {
            return Ok(json!(node.type_name()));
        }
        let args = self.args(field);
        match schema::field(self, node, &field.name, &args) {
            Ok(out) => self.complete(out, field),
            Err(failure) => {
                self.record(failure, field);
                Err(())
            }
        }
    }

    fn complete(&mut self, out: Out<'w>, field: &'q Field<'q, String>) -> Result<Value, ()> {
        let has_selection = !field.selection_set.items.is_empty();
        match out {
            Out::Null => Ok(Value::Null),
            Out::Scalar(_) if has_selection => {
                let failure = Failure::invalid(format!(
                    "Selections can't be made on scalars (field '{}' returns a scalar but has selections)",
                    field.name
                ));
                self.record(failure, field);
                Err(())
            }
            Out::Scalar(value) => Ok(value),
            Out::Object(node) if !has_selection => {
                let failure = Failure::invalid(format!(
                    "Field must have selections (field '{}' returns {} but has no selections. Did you mean '{} {{ ... }}'?)",
                    field.name,
                    node.type_name(),
                    field.name
                ));
                self.record(failure, field);
                Err(())
            }
            Out::Object(node) => {
                let mut map = Map::new();
                for child in self.fields(&field.selection_set, node.type_name()) {
                    let key = child.alias.clone().unwrap_or_else(|| child.name.clone());
                    self.path.push(json!(key));
                    let value = self.field(&node, child);
                    self.path.pop();
                    map.insert(key, value?);
                }
                Ok(Value::Object(map))
            }
            Out::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    self.path.push(json!(index));
                    let value = self.complete(item, field);
                    self.path.pop();
                    values.push(value?);
                }
                Ok(Value::Array(values))
            }
        }
    }

    fn record(&mut self, failure: Failure, field: &Field<'q, String>) {
        self.static_errors |= failure.static_error;
        let mut error = Map::new();
        if let Some(kind) = failure.kind {
            error.insert("type".into(), json!(kind));
        }
        let mut path = self.path.clone();
        if failure.static_error {
            path.insert(0, json!("query"));
        }
        error.insert("path".into(), Value::Array(path));
        if let Some(extensions) = failure.extensions {
            error.insert("extensions".into(), extensions);
        }
        error.insert(
            "locations".into(),
            json!([{ "line": field.position.line, "column": field.position.column }]),
        );
        error.insert("message".into(), json!(failure.message));
        self.errors.push(Value::Object(error));
    }
}

fn to_json(value: &Gql<'_, String>, variables: &Map<String, Value>) -> Value {
    match value {
        Gql::Variable(name) => variables.get(name).cloned().unwrap_or(Value::Null),
        Gql::Int(n) => n.as_i64().map_or(Value::Null, |n| json!(n)),
        Gql::Float(f) => json!(f),
        Gql::String(s) => json!(s),
        Gql::Boolean(b) => json!(b),
        Gql::Null => Value::Null,
        Gql::Enum(e) => json!(e),
        Gql::List(items) => Value::Array(items.iter().map(|v| to_json(v, variables)).collect()),
        Gql::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_json(v, variables)))
                .collect(),
        ),
    }
}

/// GitHub's estimate of a query's cost before running it: one request per
/// connection to fill, multiplied through by the page sizes of the
/// connections around it; a hundred requests cost one point, at least one.
/// Returns `(cost, node_count)`.
pub fn estimate(
    document: &Query<'_>,
    root: &SelectionSet<'_, String>,
    variables: &Map<String, Value>,
) -> (u32, u64) {
    fn walk(
        set: &SelectionSet<'_, String>,
        fragments: &HashMap<&str, &SelectionSet<'_, String>>,
        variables: &Map<String, Value>,
        multiplier: u64,
        totals: &mut (u64, u64),
    ) {
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    let size = field
                        .arguments
                        .iter()
                        .filter(|(name, _)| {
                            matches!(name.as_str(), "first" | "last" | "maxRepositories")
                        })
                        .find_map(|(_, v)| to_json(v, variables).as_u64());
                    let inner = match size {
                        Some(n) => {
                            totals.0 += multiplier;
                            totals.1 += multiplier * n;
                            multiplier * n.max(1)
                        }
                        None => multiplier,
                    };
                    walk(&field.selection_set, fragments, variables, inner, totals);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = fragments.get(spread.fragment_name.as_str()) {
                        walk(fragment, fragments, variables, multiplier, totals);
                    }
                }
                Selection::InlineFragment(inline) => {
                    walk(
                        &inline.selection_set,
                        fragments,
                        variables,
                        multiplier,
                        totals,
                    );
                }
            }
        }
    }
    let fragments: HashMap<&str, &SelectionSet<'_, String>> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), &f.selection_set)),
            Definition::Operation(_) => None,
        })
        .collect();
    let mut totals = (0, 0);
    walk(root, &fragments, variables, 1, &mut totals);
    // GitHub's cost: the nodes asked for, in hundreds, rounded, at least 1.
    let cost = u32::try_from((totals.0 + 50) / 100)
        .unwrap_or(u32::MAX)
        .max(1);
    (cost, totals.1)
}
