//! Conversions between YAML nodes, Jinja values and call arguments.

use std::collections::BTreeMap;

use minijinja::value::{from_args, Kwargs, Rest};
use minijinja::Value;

use crate::parse::dbt::yaml::{YKind, YNode};

/// A YAML node as a Jinja value (vars, `meta`), nested at most `depth` deep.
pub fn yaml_to_value(node: &YNode, depth: usize) -> Value {
    if depth > 32 {
        return Value::from(());
    }
    match &node.kind {
        YKind::Null => Value::from(()),
        YKind::Bool(b) => Value::from(*b),
        YKind::Int(i) => Value::from(*i),
        YKind::Float(f) => Value::from(*f),
        YKind::Str(s) => Value::from(s.as_str()),
        YKind::Seq(items) => items.iter().map(|i| yaml_to_value(i, depth + 1)).collect(),
        YKind::Map(entries) => {
            let map: BTreeMap<String, Value> = entries
                .iter()
                .filter_map(|(k, v)| Some((k.scalar_text()?, yaml_to_value(v, depth + 1))))
                .collect();
            Value::from(map)
        }
    }
}

/// Positional arguments and keyword arguments of a call, leniently: a call
/// that cannot be split is treated as having no arguments.
pub fn split_args(args: &[Value]) -> (Vec<Value>, Vec<(String, Value)>) {
    match from_args::<(Rest<Value>, Kwargs)>(args) {
        Ok((Rest(positional), kwargs)) => {
            let named = kwargs
                .args()
                .map(|k| {
                    let v = kwargs.peek::<Value>(k).unwrap_or_default();
                    (k.to_string(), v)
                })
                .collect();
            (positional, named)
        }
        Err(_) => (args.to_vec(), Vec::new()),
    }
}

/// The string of a value that is a string (not a rendered object).
pub fn string_arg(value: Option<&Value>) -> Option<String> {
    value.and_then(|v| v.as_str()).map(str::to_string)
}

/// A keyword argument by name.
pub fn kwarg<'a>(kwargs: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}
