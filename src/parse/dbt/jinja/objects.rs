//! The stand-ins a dbt template sees: recording `ref`/`source`/`config`,
//! relations, the adapter, macros and package namespaces, and an inert
//! value for everything pipelint does not model.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

use super::recorder::{RecordedRef, Recorder};
use super::values::{kwarg, split_args, string_arg, yaml_to_value};
use super::{Scope, MAX_MACRO_CALLS, MAX_MACRO_DEPTH};

/// What the current render is about: the node, for `this` and `model`.
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    /// The package (project) the node belongs to.
    pub package: String,
    /// The node name.
    pub name: String,
    /// `model`, `snapshot`, `seed`, `test`.
    pub resource_type: &'static str,
    /// Path relative to the project.
    pub path: String,
    /// Configured database.
    pub database: Option<String>,
    /// Configured schema.
    pub schema: Option<String>,
    /// Relation name.
    pub alias: String,
}

/// The root of every render: resolves names the way dbt's context does
/// (macros of the current package, then of the root project, then dbt's
/// context members, package namespaces, the environment's globals), and
/// stands in inertly for any other name.
#[derive(Debug, Clone)]
pub struct RenderRoot {
    /// The project-wide tables.
    pub scope: Arc<Scope>,
    /// This render's recorder.
    pub rec: Arc<Recorder>,
    /// The node being rendered.
    pub node: Arc<NodeInfo>,
    /// The package whose macros are visible unqualified here.
    pub package: Arc<str>,
}

impl RenderRoot {
    /// The same render seen from a macro of `package`.
    pub fn in_package(&self, package: &str) -> RenderRoot {
        RenderRoot {
            package: Arc::from(package),
            ..self.clone()
        }
    }

    fn macro_value(&self, name: &str) -> Option<Value> {
        let (package, template) = self.scope.find_macro(&self.package, name)?;
        Some(Value::from_object(MacroRef {
            root: self.clone(),
            package: package.to_string(),
            name: name.to_string(),
            template: template.to_string(),
        }))
    }

    fn builtin(&self, kind: Builtin) -> Value {
        Value::from_object(BuiltinFn {
            root: self.clone(),
            kind,
        })
    }

    fn relation(&self) -> Value {
        Value::from_object(Relation {
            database: self.node.database.clone(),
            schema: self.node.schema.clone(),
            identifier: Some(self.node.alias.clone()),
        })
    }

    fn model_value(&self) -> Value {
        let n = &self.node;
        let unique_id = format!("{}.{}.{}", n.resource_type, n.package, n.name);
        let map: std::collections::BTreeMap<&str, Value> = [
            ("name", Value::from(n.name.as_str())),
            ("alias", Value::from(n.alias.as_str())),
            ("unique_id", Value::from(unique_id)),
            ("package_name", Value::from(n.package.as_str())),
            ("resource_type", Value::from(n.resource_type)),
            ("path", Value::from(n.path.as_str())),
            ("original_file_path", Value::from(n.path.as_str())),
            ("schema", Value::from(n.schema.clone())),
            ("database", Value::from(n.database.clone())),
            (
                "config",
                Value::from_object(ConfigObj { root: self.clone() }),
            ),
            ("tags", Value::from(Vec::<Value>::new())),
            (
                "meta",
                Value::from(std::collections::BTreeMap::<String, Value>::new()),
            ),
            (
                "columns",
                Value::from(std::collections::BTreeMap::<String, Value>::new()),
            ),
            ("raw_code", Value::from("")),
        ]
        .into_iter()
        .collect();
        Value::from(map)
    }
}

impl Object for RenderRoot {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, name: &str) -> Option<Value> {
        if let Some(m) = self.macro_value(name) {
            return Some(m);
        }
        let value = match name {
            "ref" => self.builtin(Builtin::Ref),
            "source" => self.builtin(Builtin::Source),
            "config" => Value::from_object(ConfigObj {
                root: (**self).clone(),
            }),
            "var" => self.builtin(Builtin::Var),
            "return" => self.builtin(Builtin::Return),
            "builtins" => Value::from_object(Builtins {
                root: (**self).clone(),
            }),
            "adapter" => Value::from_object(Adapter {
                root: (**self).clone(),
            }),
            "this" => self.relation(),
            "model" => self.model_value(),
            "target" => self.scope.target.clone(),
            "project_name" => Value::from(self.scope.root_package.as_str()),
            "execute" => Value::from(false),
            _ => {
                if self.scope.installed.contains(name) {
                    return Some(Value::from_object(Namespace {
                        root: (**self).clone(),
                        package: name.to_string(),
                    }));
                }
                if self.scope.env_globals.contains(name) {
                    return None;
                }
                if self.scope.missing.contains(name) {
                    self.rec.record_missing_namespace(name);
                } else {
                    self.rec.record_unknown(name);
                }
                Value::from_object(Inert)
            }
        };
        Some(value)
    }
}

/// dbt's `builtins`: the original `ref`, `source` and `config`, reachable
/// when a project overrides them with macros.
#[derive(Debug)]
struct Builtins {
    root: RenderRoot,
}

impl Object for Builtins {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "ref" => self.root.builtin(Builtin::Ref),
            "source" => self.root.builtin(Builtin::Source),
            "config" => Value::from_object(ConfigObj {
                root: self.root.clone(),
            }),
            _ => return None,
        })
    }
}

/// The context functions that need the render's recorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Ref,
    Source,
    Var,
    Return,
}

#[derive(Debug)]
struct BuiltinFn {
    root: RenderRoot,
    kind: Builtin,
}

impl Object for BuiltinFn {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (positional, kwargs) = split_args(args);
        match self.kind {
            Builtin::Ref => Ok(self.call_ref(&positional, &kwargs)),
            Builtin::Source => Ok(self.call_source(&positional)),
            Builtin::Var => self.call_var(state, &positional, &kwargs),
            Builtin::Return => {
                let value = positional.first().cloned().unwrap_or_default();
                if self.root.rec.set_return(value) {
                    Err(Error::new(ErrorKind::InvalidOperation, RETURN_SIGNAL))
                } else {
                    Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "return() called outside a macro",
                    ))
                }
            }
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (self.kind, method) {
            (Builtin::Var, "has_var") => {
                let name = string_arg(args.first()).unwrap_or_default();
                Ok(Value::from(
                    self.root
                        .scope
                        .var(&self.root.node.package, &name)
                        .is_some(),
                ))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// The message of the error `return()` raises to leave its macro.
pub const RETURN_SIGNAL: &str = "pipelint: return() leaves the macro";

impl BuiltinFn {
    fn call_ref(&self, positional: &[Value], kwargs: &[(String, Value)]) -> Value {
        let strings: Vec<Option<String>> = positional.iter().map(|v| string_arg(Some(v))).collect();
        let version = kwarg(kwargs, "version")
            .or_else(|| kwarg(kwargs, "v"))
            .filter(|v| !v.is_none() && !v.is_undefined())
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
        let package_kw = kwarg(kwargs, "package").and_then(|v| v.as_str().map(str::to_string));
        let (package, name) = match strings.as_slice() {
            [Some(name)] => (package_kw, name.clone()),
            [Some(package), Some(name)] => (Some(package.clone()), name.clone()),
            _ => {
                self.root.rec.record_bad_call(format!(
                    "ref({})",
                    positional
                        .iter()
                        .map(|v| format!("{v:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                return Value::from_object(Inert);
            }
        };
        let relation = self.root.scope.model_relation(&name);
        self.root.rec.record_ref(RecordedRef {
            package,
            name: name.clone(),
            version,
        });
        Value::from_object(relation.unwrap_or(Relation {
            database: None,
            schema: None,
            identifier: Some(name),
        }))
    }

    fn call_source(&self, positional: &[Value]) -> Value {
        let strings: Vec<Option<String>> = positional.iter().map(|v| string_arg(Some(v))).collect();
        let [Some(source), Some(table)] = strings.as_slice() else {
            self.root
                .rec
                .record_bad_call(format!("source() with {} arguments", positional.len()));
            return Value::from_object(Inert);
        };
        self.root.rec.record_source(source.clone(), table.clone());
        let relation = self
            .root
            .scope
            .source_relation(source, table)
            .unwrap_or(Relation {
                database: None,
                schema: Some(source.clone()),
                identifier: Some(table.clone()),
            });
        Value::from_object(relation)
    }

    fn call_var(
        &self,
        state: &State<'_, '_>,
        positional: &[Value],
        kwargs: &[(String, Value)],
    ) -> Result<Value, Error> {
        let name = string_arg(positional.first()).unwrap_or_default();
        let default = positional
            .get(1)
            .or_else(|| kwarg(kwargs, "default"))
            .cloned();
        let Some(node) = self.root.scope.var(&self.root.node.package, &name) else {
            return Ok(default.unwrap_or_else(|| Value::from(())));
        };
        let value = yaml_to_value(node, 0);
        match value.as_str() {
            Some(text) if text.contains("{{") || text.contains("{%") => {
                // dbt renders a string var where it is read, in the reader's
                // context (a var may hold `{{ ref('x') }}`).
                let root = Value::from_object(self.root.clone());
                let rendered = nested_render(state, &self.root.rec, text, root)?;
                Ok(Value::from(rendered))
            }
            _ => Ok(value),
        }
    }
}

/// Renders a template string within the current render's budget.
pub fn nested_render(
    state: &State<'_, '_>,
    rec: &Recorder,
    text: &str,
    root: Value,
) -> Result<String, Error> {
    rec.enter_macro(MAX_MACRO_DEPTH, MAX_MACRO_CALLS)
        .map_err(|m| Error::new(ErrorKind::InvalidOperation, m))?;
    let result = state.env().render_str(text, root);
    rec.leave_macro();
    result
}

/// `config`: records `config(…)` calls; `config.get`/`config.require` read
/// back what the render set.
#[derive(Debug)]
struct ConfigObj {
    root: RenderRoot,
}

impl Object for ConfigObj {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (positional, kwargs) = split_args(args);
        for (key, value) in &kwargs {
            self.root.rec.record_config(key, value);
        }
        // `config({'materialized': 'table'})`: a dict as the only argument.
        if let Some(dict) = positional.first() {
            if let Ok(keys) = dict.try_iter() {
                for key in keys {
                    if let (Some(k), Ok(v)) = (key.as_str(), dict.get_item(&key)) {
                        self.root.rec.record_config(k, &v);
                    }
                }
            }
        }
        Ok(Value::from(""))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (positional, kwargs) = split_args(args);
        match method {
            "get" | "require" => {
                let key = string_arg(positional.first()).unwrap_or_default();
                let default = positional
                    .get(1)
                    .or_else(|| kwarg(&kwargs, "default"))
                    .cloned()
                    .unwrap_or_default();
                Ok(self.root.rec.config_value(&key).unwrap_or(default))
            }
            "set" | "persist_relation_docs" | "persist_column_docs" => Ok(Value::from(false)),
            _ => Ok(Value::from_object(Inert)),
        }
    }
}

/// A relation (`ref()`/`source()`/`this`): renders as its dotted name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Relation {
    /// Database part.
    pub database: Option<String>,
    /// Schema part.
    pub schema: Option<String>,
    /// Table part.
    pub identifier: Option<String>,
}

impl Object for Relation {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "database" => Value::from(self.database.clone()),
            "schema" => Value::from(self.schema.clone()),
            "identifier" | "name" | "table" => Value::from(self.identifier.clone()),
            "type" => Value::from("table"),
            "is_table" => Value::from(true),
            "is_view" | "is_cte" | "is_materialized_view" => Value::from(false),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "render" => Ok(Value::from(self.dotted())),
            "include" | "quote" | "incorporate" | "replace_path" | "without_identifier"
            | "without_quotes" => Ok(Value::from_dyn_object(self.clone())),
            _ => Ok(Value::from_object(Inert)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dotted())
    }
}

impl Relation {
    fn dotted(&self) -> String {
        [&self.database, &self.schema, &self.identifier]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// A project or package macro, called by name: runs in its own template with
/// the render's recorder, so `return()` gives the macro's value and refs in
/// the macro are recorded for the node being rendered.
#[derive(Debug)]
pub struct MacroRef {
    root: RenderRoot,
    package: String,
    name: String,
    template: String,
}

impl Object for MacroRef {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "name" => Some(Value::from(self.name.as_str())),
            "package_name" => Some(Value::from(self.package.as_str())),
            _ => None,
        }
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let rec = &self.root.rec;
        rec.enter_macro(MAX_MACRO_DEPTH, MAX_MACRO_CALLS)
            .map_err(|m| Error::new(ErrorKind::InvalidOperation, m))?;
        let outcome = (|| {
            let template = state.env().get_template(&self.template)?;
            let root = Value::from_object(self.root.in_package(&self.package));
            let mut captured = template.render_captured(root)?;
            Ok::<_, Error>(captured.with_state_mut(|st| {
                let result = st.call_macro(&self.name, args);
                let fuel = st.fuel_levels().map_or(0, |(used, _)| used);
                (result, fuel)
            }))
        })();
        let returned = rec.leave_macro();
        let (result, fuel) = outcome?;
        rec.charge_fuel(fuel, crate::limits::get().render_fuel)
            .map_err(|m| Error::new(ErrorKind::InvalidOperation, m))?;
        match (returned, result) {
            (Some(value), _) => Ok(value),
            (None, Ok(output)) => Ok(Value::from_safe_string(output)),
            (None, Err(e)) => Err(e),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<macro {}.{}>", self.package, self.name)
    }
}

/// A package namespace (`dbt_utils.star(…)`): its macros by name.
#[derive(Debug)]
struct Namespace {
    root: RenderRoot,
    package: String,
}

impl Object for Namespace {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        match self.root.scope.macro_template(&self.package, name) {
            Some(template) => Some(Value::from_object(MacroRef {
                root: self.root.clone(),
                package: self.package.clone(),
                name: name.to_string(),
                template: template.to_string(),
            })),
            None => {
                self.root
                    .rec
                    .record_unknown(&format!("{}.{name}", self.package));
                Some(Value::from_object(Inert))
            }
        }
    }
}

/// `adapter`: `dispatch` finds macros by dbt's search order; catalog
/// queries answer "nothing" as they do while dbt parses.
#[derive(Debug)]
struct Adapter {
    root: RenderRoot,
}

impl Object for Adapter {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "type" => Some(Value::from(self.root.scope.adapter_type.as_str())),
            _ => Some(Value::from_object(Inert)),
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (positional, kwargs) = split_args(args);
        match method {
            "dispatch" => {
                let name = string_arg(positional.first()).unwrap_or_default();
                let namespace = string_arg(positional.get(1))
                    .or_else(|| string_arg(kwarg(&kwargs, "macro_namespace")))
                    .or_else(|| string_arg(kwarg(&kwargs, "packages")));
                match self
                    .root
                    .scope
                    .dispatch(&self.root.package, &name, namespace.as_deref())
                {
                    Some((package, macro_name, template)) => Ok(Value::from_object(MacroRef {
                        root: self.root.clone(),
                        package,
                        name: macro_name,
                        template,
                    })),
                    None => {
                        self.root.rec.record_undispatched(&name);
                        Ok(Value::from_object(Inert))
                    }
                }
            }
            "type" => Ok(Value::from(self.root.scope.adapter_type.as_str())),
            "quote" => {
                let text = positional
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                Ok(Value::from(format!("\"{text}\"")))
            }
            "get_relation" | "load_relation" | "get_relation_or_none" => Ok(Value::from(())),
            "get_columns_in_relation"
            | "get_missing_columns"
            | "list_relations_without_caching"
            | "get_columns_in_table"
            | "list_schemas" => Ok(Value::from(Vec::<Value>::new())),
            "check_schema_exists" | "already_exists" => Ok(Value::from(false)),
            _ => Ok(Value::from_object(Inert)),
        }
    }
}

/// Stands in for anything pipelint does not model: every attribute, item,
/// call and method gives another inert value; it renders as nothing, is
/// false and iterates as empty.
#[derive(Debug, Clone, Copy)]
pub struct Inert;

impl Object for Inert {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Value::from_object(Inert))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        Ok(Value::from_object(Inert))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        _method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        Ok(Value::from_object(Inert))
    }

    fn render(self: &Arc<Self>, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}
