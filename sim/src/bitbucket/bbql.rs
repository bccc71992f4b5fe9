//! Bitbucket's query language for `q=` (developer.atlassian.com, "Filtering
//! and sorting"): comparisons joined by `AND`/`OR`, with parentheses.

use chrono::{DateTime, NaiveDate, Utc};

/// A value a filterable field holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    Time(DateTime<Utc>),
    Number(i64),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Contains,
    NotContains,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Compare {
        field: String,
        op: Op,
        value: String,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A parsed `q`. Errors are the `error.message` of Bitbucket's 400.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter(Expr);

impl Filter {
    /// Parses `text`; `known(field)` says whether the resource can filter on it.
    pub fn parse(text: &str, known: impl Fn(&str) -> bool) -> Result<Self, String> {
        let tokens = tokens(text)?;
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.or()?;
        if parser.at != parser.tokens.len() {
            return Err(format!(
                "Invalid query: unexpected {:?}",
                parser.tokens[parser.at]
            ));
        }
        check_fields(&expr, &known)?;
        Ok(Self(expr))
    }

    /// Whether an item passes; `value(field)` reads the item's field.
    pub fn accepts(&self, value: &impl Fn(&str) -> Field) -> Result<bool, String> {
        evaluate(&self.0, value)
    }
}

fn check_fields(expr: &Expr, known: &impl Fn(&str) -> bool) -> Result<(), String> {
    match expr {
        Expr::Compare { field, .. } if !known(field) => {
            Err(format!("Field \"{field}\" does not support filtering"))
        }
        Expr::Compare { .. } => Ok(()),
        Expr::And(a, b) | Expr::Or(a, b) => {
            check_fields(a, known)?;
            check_fields(b, known)
        }
    }
}

fn evaluate(expr: &Expr, value: &impl Fn(&str) -> Field) -> Result<bool, String> {
    Ok(match expr {
        Expr::And(a, b) => evaluate(a, value)? && evaluate(b, value)?,
        Expr::Or(a, b) => evaluate(a, value)? || evaluate(b, value)?,
        Expr::Compare {
            field,
            op,
            value: wanted,
        } => compare(&value(field), *op, wanted)?,
    })
}

fn compare(actual: &Field, op: Op, wanted: &str) -> Result<bool, String> {
    use std::cmp::Ordering;
    let order: Option<Ordering> = match actual {
        Field::Null => return Ok(matches!(op, Op::Ne) != (wanted == "null")),
        Field::Text(text) => {
            return Ok(match op {
                Op::Eq => text == wanted,
                Op::Ne => text != wanted,
                Op::Contains => text.to_lowercase().contains(&wanted.to_lowercase()),
                Op::NotContains => !text.to_lowercase().contains(&wanted.to_lowercase()),
                _ => Some(text.as_str().cmp(wanted)).is_some_and(|o| ordered(o, op)),
            });
        }
        Field::Time(at) => Some(at.cmp(&time(wanted)?)),
        Field::Number(n) => Some(
            n.cmp(
                &wanted
                    .parse::<i64>()
                    .map_err(|_| format!("Invalid number: {wanted}"))?,
            ),
        ),
    };
    Ok(order.is_some_and(|o| ordered(o, op)))
}

fn ordered(order: std::cmp::Ordering, op: Op) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => order == Equal,
        Op::Ne => order != Equal,
        Op::Gt => order == Greater,
        Op::Ge => order != Less,
        Op::Lt => order == Less,
        Op::Le => order != Greater,
        Op::Contains | Op::NotContains => false,
    }
}

/// ISO 8601 datetimes, or dates meaning midnight UTC.
fn time(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| d.and_time(Default::default()).and_utc())
        })
        .map_err(|_| format!("Invalid datetime: {value}"))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(Op),
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            _ if c.is_whitespace() => i += 1,
            '(' | ')' => {
                out.push(if c == '(' { Token::Open } else { Token::Close });
                i += 1;
            }
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == '"')
                    .ok_or("Invalid query: unterminated string")?;
                out.push(Token::Quoted(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '=' => (out.push(Token::Op(Op::Eq)), i += 1).1,
            '~' => (out.push(Token::Op(Op::Contains)), i += 1).1,
            '!' if next == Some('=') => (out.push(Token::Op(Op::Ne)), i += 2).1,
            '!' if next == Some('~') => (out.push(Token::Op(Op::NotContains)), i += 2).1,
            '>' | '<' => {
                let with_eq = next == Some('=');
                let op = match (c, with_eq) {
                    ('>', true) => Op::Ge,
                    ('>', false) => Op::Gt,
                    (_, true) => Op::Le,
                    _ => Op::Lt,
                };
                out.push(Token::Op(op));
                i += if with_eq { 2 } else { 1 };
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !"()=~!<>\"".contains(chars[i])
                {
                    i += 1;
                }
                if start == i {
                    return Err(format!("Invalid query: unexpected {c:?}"));
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word));
        if found {
            self.at += 1;
        }
        found
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.comparison()?;
        while self.keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return Err("Invalid query: missing \")\"".into());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Word(field)) => {
                let op = match self.tokens.get(self.at) {
                    Some(Token::Op(op)) => *op,
                    _ => return Err(format!("Invalid query: expected an operator after {field}")),
                };
                let value = match self.tokens.get(self.at + 1) {
                    Some(Token::Word(v) | Token::Quoted(v)) => v.clone(),
                    _ => return Err(format!("Invalid query: expected a value after {field}")),
                };
                self.at += 2;
                Ok(Expr::Compare { field, op, value })
            }
            other => Err(format!("Invalid query: unexpected {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query and the expression it means, written with every group in
    /// parentheses.
    fn expression() -> impl proptest::strategy::Strategy<Value = (String, Expr)> {
        use proptest::prelude::*;
        let ops = [
            (Op::Eq, "="),
            (Op::Ne, "!="),
            (Op::Contains, "~"),
            (Op::NotContains, "!~"),
            (Op::Gt, ">"),
            (Op::Ge, ">="),
            (Op::Lt, "<"),
            (Op::Le, "<="),
        ];
        let compare = (
            proptest::sample::select(vec!["state", "id", "updated_on", "title"]),
            proptest::sample::select(ops.to_vec()),
            "[A-Za-z0-9 :._-]{0,12}",
            any::<bool>(),
        )
            .prop_map(|(field, (op, symbol), value, quoted)| {
                // A bare value is one word.
                let bare = !quoted && !value.is_empty() && !value.contains(' ');
                let written = if bare {
                    value.clone()
                } else {
                    format!("\"{value}\"")
                };
                (
                    format!("{field} {symbol} {written}"),
                    Expr::Compare {
                        field: field.to_owned(),
                        op,
                        value,
                    },
                )
            });
        compare.prop_recursive(3, 12, 2, |inner| {
            (inner.clone(), inner, any::<bool>()).prop_map(|((a, x), (b, y), and)| {
                let (word, expr) = if and {
                    ("AND", Expr::And(Box::new(x), Box::new(y)))
                } else {
                    ("OR", Expr::Or(Box::new(x), Box::new(y)))
                };
                (format!("({a}) {word} ({b})"), expr)
            })
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn a_written_query_parses_to_what_it_means((text, expr) in expression()) {
            let known = |f: &str| ["state", "id", "updated_on", "title"].contains(&f);
            proptest::prop_assert_eq!(Filter::parse(&text, known), Ok(Filter(expr)));
        }

        #[test]
        fn no_query_makes_the_parser_panic(text in "\\PC{0,60}|[()=~!<> a-zA-Z\"]{0,40}") {
            if let Ok(filter) = Filter::parse(&text, |_| true) {
                let _ = filter.accepts(&item);
            }
        }
    }
    use chrono::TimeZone;

    fn item(field: &str) -> Field {
        match field {
            "state" => Field::Text("MERGED".into()),
            "updated_on" => Field::Time(Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap()),
            "id" => Field::Number(7),
            _ => Field::Null,
        }
    }

    fn check(query: &str) -> bool {
        Filter::parse(query, |f| ["state", "updated_on", "id"].contains(&f))
            .unwrap()
            .accepts(&item)
            .unwrap()
    }

    #[test]
    fn comparisons_and_precedence() {
        assert!(check(
            "state = \"MERGED\" AND updated_on >= 2024-01-01T00:00:00+00:00"
        ));
        assert!(!check("updated_on > 2024-03-01T12:00:00+00:00"));
        assert!(check("id > 100 OR state = \"MERGED\" AND id <= 7"));
        assert!(!check("(id > 100 OR state = \"MERGED\") AND id < 7"));
        assert!(check("state ~ \"merg\""));
    }

    #[test]
    fn unknown_fields_and_bad_syntax_are_named() {
        let known = |f: &str| f == "state";
        assert_eq!(
            Filter::parse("commit.date > 2024-01-01", known).unwrap_err(),
            "Field \"commit.date\" does not support filtering"
        );
        assert!(Filter::parse("state = \"OPEN", known).is_err());
        assert!(Filter::parse("state \"OPEN\"", known).is_err());
    }
}
