//! The recording Jinja environment: dbt templates rendered with minijinja,
//! with `ref`/`source`/`config` recording what they are called with, dbt's
//! other context members as inert stand-ins (as while dbt parses: `execute`
//! is false, `run_query` returns nothing), and the project's and installed
//! packages' macros callable by name, through `adapter.dispatch` and as
//! package namespaces.
//!
//! Nothing here can hang or blow the stack: every template state has a fuel
//! limit, nested macro calls are counted against a depth limit, a call limit
//! and a total fuel budget per render.

pub mod objects;
pub mod recorder;
pub mod values;

use std::collections::{BTreeMap, BTreeSet};

/// The map of the macro table: looked up on every name a template uses.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};

use super::yaml::YNode;
use objects::{Inert, NodeInfo, Relation, RenderRoot, RETURN_SIGNAL};
use recorder::{Recorder, Recording};
use values::{kwarg, split_args, string_arg};

/// The share of the render fuel (`--render-fuel`, all nested macro states
/// of one render together) that one template state may use.
pub const STATE_FUEL_SHARE: u64 = 5;
/// Deepest chain of macro calls.
pub const MAX_MACRO_DEPTH: usize = 24;
/// Most macro calls in one render.
pub const MAX_MACRO_CALLS: u64 = 5_000;
/// minijinja's own recursion limit (nested blocks within one state).
const RECURSION_LIMIT: usize = 100;

/// A macro of a package, as a template source.
#[derive(Debug, Clone, Hash)]
pub struct MacroDef {
    /// The package (project name) defining it.
    pub package: String,
    /// The macro name.
    pub name: String,
    /// Its template source (one `{% macro %}` block).
    pub source: String,
}

/// Project-wide tables every render reads (hashed whole, with the macros,
/// into [`DbtJinja::fingerprint`]).
#[derive(Debug, Default, Hash)]
pub struct Scope {
    /// The root project's name.
    pub root_package: String,
    /// Names of the root project and the installed packages.
    pub installed: BTreeSet<String>,
    /// Packages declared in packages.yml but not installed.
    pub missing: BTreeSet<String>,
    /// Macro template names by package, then macro: looked up on every
    /// name a template uses, so hashed and without building a key.
    pub macros: MacroTable,
    /// The root project's `vars:`.
    pub root_vars: Option<YNode>,
    /// Each package's own `vars:`.
    pub package_vars: BTreeMap<String, YNode>,
    /// `dispatch:` search orders of the root project.
    pub dispatch: BTreeMap<String, Vec<String>>,
    /// The adapter type (`snowflake`, `postgres`, …).
    pub adapter_type: String,
    /// `target`.
    pub target: Value,
    /// Names of the environment's globals (let through to minijinja).
    pub env_globals: BTreeSet<String>,
    /// Relations of models, for what `ref()` returns.
    pub model_relations: BTreeMap<String, Relation>,
    /// Relations of source tables, for what `source()` returns.
    pub source_relations: BTreeMap<(String, String), Relation>,
}

/// Macro template names by package, then macro name. Filled by
/// [`DbtJinja::new`] from the macros it hashes whole into its fingerprint,
/// so the table adds nothing to the hash of a [`Scope`].
#[derive(Debug, Default)]
pub struct MacroTable(HashMap<String, HashMap<String, String>>);

impl std::hash::Hash for MacroTable {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Scope {
    /// The macro visible as `name` from `package`: its own, else the root
    /// project's. Returns the defining package and the template name.
    pub fn find_macro(&self, package: &str, name: &str) -> Option<(&str, &str)> {
        [package, self.root_package.as_str()]
            .into_iter()
            .find_map(|p| {
                let (pkg, macros) = self.macros.0.get_key_value(p)?;
                macros.get(name).map(|t| (pkg.as_str(), t.as_str()))
            })
    }

    /// The template of `package.name`.
    pub fn macro_template(&self, package: &str, name: &str) -> Option<&str> {
        self.macros
            .0
            .get(package)
            .and_then(|m| m.get(name))
            .map(String::as_str)
    }

    /// dbt's `adapter.dispatch`: for each package of the search order, the
    /// macro `<adapter>__name`, then `default__name`.
    pub fn dispatch(
        &self,
        from_package: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<(String, String, String)> {
        let search: Vec<String> = match namespace {
            None => vec![from_package.to_string(), self.root_package.clone()],
            Some(ns) => match self.dispatch.get(ns) {
                Some(order) if !order.is_empty() => order.clone(),
                _ => vec![self.root_package.clone(), ns.to_string()],
            },
        };
        let prefixes = adapter_prefixes(&self.adapter_type);
        for package in &search {
            for prefix in &prefixes {
                let candidate = format!("{prefix}__{name}");
                if let Some(t) = self.macro_template(package, &candidate) {
                    return Some((package.clone(), candidate, t.to_string()));
                }
            }
        }
        None
    }

    /// The value of `var(name)` for a node of `package`: the root project's
    /// vars scoped to the package, its global vars, then the package's own.
    pub fn var(&self, package: &str, name: &str) -> Option<&YNode> {
        fn scoped<'a>(vars: &'a YNode, scope: &str, name: &str) -> Option<&'a YNode> {
            vars.get(scope).and_then(|s| s.get(name))
        }
        // A top-level key named after a package is that package's scope.
        let is_scope = self.installed.contains(name) && name != package;
        let global = |vars: &'_ YNode| -> bool { !is_scope && vars.get(name).is_some() };
        if let Some(root) = &self.root_vars {
            if let Some(v) = scoped(root, package, name) {
                return Some(v);
            }
            if global(root) {
                return root.get(name);
            }
        }
        let own = self.package_vars.get(package)?;
        if let Some(v) = scoped(own, package, name) {
            return Some(v);
        }
        if global(own) {
            return own.get(name);
        }
        None
    }

    /// What `ref(name)` returns.
    pub fn model_relation(&self, name: &str) -> Option<Relation> {
        self.model_relations.get(name).cloned()
    }

    /// What `source(source, table)` returns.
    pub fn source_relation(&self, source: &str, table: &str) -> Option<Relation> {
        self.source_relations
            .get(&(source.to_string(), table.to_string()))
            .cloned()
    }
}

/// Adapter macro prefixes in dbt's order: the adapter, its parents, default.
fn adapter_prefixes(adapter: &str) -> Vec<String> {
    let mut out = vec![adapter.to_string()];
    match adapter {
        "redshift" => out.push("postgres".into()),
        "databricks" => out.push("spark".into()),
        _ => {}
    }
    out.push("default".into());
    out
}

/// The Jinja environment of one dbt project, with its packages' macros.
pub struct DbtJinja {
    env: Environment<'static>,
    scope: Arc<Scope>,
    /// A hash of everything the environment was built from.
    fingerprint: crate::cache::Hash,
}

impl std::fmt::Debug for DbtJinja {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbtJinja")
            .field("scope", &self.scope)
            .finish()
    }
}

/// The result of rendering one template.
#[derive(Debug)]
pub struct Rendered {
    /// The rendered text, or the error that stopped rendering (message and
    /// 1-based line in the template).
    pub output: Result<String, (String, Option<u32>)>,
    /// What was recorded until then.
    pub recording: Recording,
}

impl DbtJinja {
    /// Builds the environment: macros compile lazily on first call.
    pub fn new(mut scope: Scope, macros: Vec<MacroDef>) -> DbtJinja {
        let mut env = Environment::new();
        env.set_fuel(Some(crate::limits::get().render_fuel / STATE_FUEL_SHARE));
        env.set_recursion_limit(RECURSION_LIMIT);
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_unknown_method_callback(unknown_method);
        add_globals(&mut env);
        let fingerprint = {
            use std::hash::Hash;
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            scope.hash(&mut h);
            macros.hash(&mut h);
            h.digest128()
        };
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        for m in macros {
            let package = scope.macros.0.entry(m.package.clone()).or_default();
            if package.contains_key(&m.name) {
                continue; // dbt rejects duplicates; the first (sorted) wins here
            }
            let template = format!("{}/{}", m.package, m.name);
            package.insert(m.name.clone(), template.clone());
            sources.insert(template, m.source);
        }
        let sources = Arc::new(sources);
        env.set_loader(move |name| {
            Ok(sources
                .get(name)
                .filter(|text| {
                    overlong_line(text).is_none()
                        && super::template_scan::nested_too_deep(text, max_template_nesting())
                            .is_none()
                })
                .cloned())
        });
        scope.env_globals = env.globals().map(|(name, _)| name.to_string()).collect();
        DbtJinja {
            env,
            scope: Arc::new(scope),
            fingerprint,
        }
    }

    /// A hash of the scope and macros the environment was built from (the
    /// rest of it is the same in every run of one pipelint build, limits
    /// aside): two environments with one fingerprint render alike.
    pub fn fingerprint(&self) -> crate::cache::Hash {
        self.fingerprint
    }

    /// The project-wide tables.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Renders a node's template text, recording its refs, sources and
    /// config. Unicode whitespace inside tags reads as spaces, as in Jinja2.
    pub fn render(&self, name: &str, text: &str, node: NodeInfo) -> Rendered {
        if let Some(line) = overlong_line(text) {
            return Rendered {
                output: Err((
                    format!(
                        "line {line} is longer than {MAX_LINE_CHARS} characters, more than the \
                         template engine can place; it was not rendered"
                    ),
                    u32::try_from(line).ok(),
                )),
                recording: Recording::default(),
            };
        }
        if let Some(line) = super::template_scan::nested_too_deep(text, max_template_nesting()) {
            return Rendered {
                output: Err((
                    crate::limits::over(
                        "expressions nested deeper than allowed",
                        "max-depth",
                        format!("{} levels", max_template_nesting()),
                    ),
                    u32::try_from(line).ok(),
                )),
                recording: Recording::default(),
            };
        }
        let text = super::template_scan::normalize_tag_whitespace(text);
        let rec = Arc::new(Recorder::default());
        let package: Arc<str> = Arc::from(node.package.as_str());
        let root = RenderRoot {
            scope: self.scope.clone(),
            rec: rec.clone(),
            node: Arc::new(node),
            package,
        };
        let output = self
            .env
            .render_named_str(name, &text, Value::from_object(root))
            .map_err(|e| (describe(&e), e.line().and_then(|l| u32::try_from(l).ok())));
        Rendered {
            output,
            recording: rec.take(),
        }
    }

    /// Renders a configuration string (`"{{ env_var('DB', 'x') }}"`) with
    /// the project's context; on failure the text is returned unchanged.
    pub fn render_config(&self, text: &str, package: &str) -> String {
        let node = NodeInfo {
            package: package.to_string(),
            resource_type: "model",
            ..NodeInfo::default()
        };
        self.render("dbt_project.yml", text, node)
            .output
            .unwrap_or_else(|_| text.to_string())
    }
}

/// How deep a template's expressions may nest (brackets and runs of
/// prefix operators): `--max-depth` levels, times the operators a chain
/// may hold per level, as SQL chains are counted.
fn max_template_nesting() -> usize {
    crate::limits::get()
        .depth
        .saturating_mul(crate::limits::CHAIN_PER_DEPTH)
}

/// The longest line minijinja can lex: it counts columns in 16 bits (and
/// overflows past them), so a longer line is refused before it is compiled.
const MAX_LINE_CHARS: usize = 65_535;

/// The 1-based number of the first line of `text` longer than
/// [`MAX_LINE_CHARS`] characters, if any.
pub(crate) fn overlong_line(text: &str) -> Option<usize> {
    if text.len() <= MAX_LINE_CHARS {
        return None;
    }
    text.split('\n')
        .position(|line| line.len() > MAX_LINE_CHARS && line.chars().count() > MAX_LINE_CHARS)
        .map(|i| i + 1)
}

/// An error's message, with the causes minijinja chains.
fn describe(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    let mut hops = 0;
    while let Some(s) = source {
        hops += 1;
        if hops > 4 {
            break;
        }
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.replace(RETURN_SIGNAL, "return() outside a macro")
}

/// Python methods of strings, lists and dicts (minijinja-contrib's pycompat),
/// and list/dict mutators as no-ops (minijinja values are immutable: the
/// mutation is lost, rendering goes on).
fn unknown_method(
    state: &mut State<'_, '_>,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    match minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args) {
        Err(e) if e.kind() == ErrorKind::UnknownMethod => match method {
            "append" | "extend" | "insert" | "remove" | "update" | "pop" | "setdefault"
            | "clear" | "add" => Ok(Value::from(())),
            "format" => Ok(value.clone()),
            _ => Err(e),
        },
        other => other,
    }
    .or_else(|e| datetime_method(value, method, args).ok_or(e))
}

/// A fixed time, 2024-01-01 00:00:00 UTC, stands in for `run_started_at`
/// and `modules.datetime`: times are integers (any arithmetic works) and
/// their methods give this date.
fn datetime_method(value: &Value, method: &str, args: &[Value]) -> Option<Value> {
    value.as_i64()?;
    match method {
        "strftime" => {
            let format = args.first().and_then(Value::as_str).unwrap_or("%Y-%m-%d");
            let text = format
                .replace("%Y", "2024")
                .replace("%y", "24")
                .replace("%m", "01")
                .replace("%d", "01")
                .replace("%H", "00")
                .replace("%M", "00")
                .replace("%S", "00")
                .replace("%z", "+0000")
                .replace("%Z", "UTC");
            Some(Value::from(text))
        }
        "isoformat" => Some(Value::from("2024-01-01T00:00:00")),
        "date" | "replace" | "astimezone" | "now" | "utcnow" | "today" | "timestamp" => {
            Some(Value::from(0))
        }
        _ => None,
    }
}

/// `modules`: `datetime` (times as integers, see [`datetime_method`]);
/// `re`, `pytz`, `itertools` are inert.
#[derive(Debug)]
struct Modules;

impl minijinja::value::Object for Modules {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "datetime" => Value::from_object(DateTimeModule),
            _ => Value::from_object(Inert),
        })
    }
}

/// `modules.datetime` and its classes: every constructor and attribute is
/// the fixed time.
#[derive(Debug)]
struct DateTimeModule;

impl minijinja::value::Object for DateTimeModule {
    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Value::from_object(DateTimeModule))
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        Ok(Value::from(0))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        _method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        Ok(Value::from(0))
    }
}

/// A context function that needs no per-render state; takes any arguments,
/// keyword arguments included.
struct FnStub(fn(&[Value]) -> Value);

impl std::fmt::Debug for FnStub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<dbt function>")
    }
}

impl minijinja::value::Object for FnStub {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        Ok((self.0)(args))
    }
}

fn stub(env: &mut Environment<'static>, name: &'static str, f: fn(&[Value]) -> Value) {
    env.add_global(name, Value::from_object(FnStub(f)));
}

/// dbt context members that need no per-render state, as environment globals.
fn add_globals(env: &mut Environment<'static>) {
    env.add_global("execute", false);
    env.add_global("run_started_at", 0);
    env.add_global("modules", Value::from_object(Modules));
    env.add_global("invocation_id", "00000000-0000-0000-0000-000000000000");
    env.add_global("dbt_version", "1.9.0");
    for inert in [
        "exceptions",
        "flags",
        "graph",
        "api",
        "selected_resources",
        "context",
        "dbt",
        "store_result",
        "store_raw_result",
        "write",
        "render",
        "submit_python_job",
        "caller",
    ] {
        env.add_global(inert, Value::from_object(Inert));
    }
    stub(env, "env_var", |args| {
        let (positional, kwargs) = split_args(args);
        positional
            .get(1)
            .or_else(|| kwarg(&kwargs, "default"))
            .cloned()
            .unwrap_or_else(|| Value::from(""))
    });
    stub(env, "is_incremental", |_| Value::from(false));
    stub(env, "should_full_refresh", |_| Value::from(false));
    for none_fn in ["run_query", "load_result", "load_relation"] {
        stub(env, none_fn, |_| Value::from(()));
    }
    for empty_fn in [
        "log",
        "print",
        "doc",
        "set_sql_header",
        "debug",
        "statement",
        "noop_statement",
    ] {
        stub(env, empty_fn, |_| Value::from(""));
    }
    stub(env, "tojson", |args| {
        Value::from(args.first().map(ToString::to_string).unwrap_or_default())
    });
    stub(env, "toyaml", |args| {
        Value::from(args.first().map(ToString::to_string).unwrap_or_default())
    });
    stub(env, "fromjson", |args| {
        let text = string_arg(args.first()).unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(&text)
            .map(|v| json_to_value(&v, 0))
            .unwrap_or_else(|_| args.get(1).cloned().unwrap_or_default())
    });
    stub(env, "fromyaml", |args| {
        let text = string_arg(args.first()).unwrap_or_default();
        super::yaml::parse(&text)
            .map(|n| values::yaml_to_value(&n, 0))
            .unwrap_or_default()
    });
    stub(env, "local_md5", |_| {
        Value::from("00000000000000000000000000000000")
    });
    stub(env, "zip", |args| {
        let lists: Vec<Vec<Value>> = args
            .iter()
            .map(|a| a.try_iter().map(Iterator::collect).unwrap_or_default())
            .collect();
        let len = lists.iter().map(Vec::len).min().unwrap_or(0);
        (0..len)
            .map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
            .collect::<Value>()
    });
    stub(env, "set", |args| {
        let mut seen: Vec<Value> = Vec::new();
        if let Some(Ok(items)) = args.first().map(Value::try_iter) {
            for item in items {
                if !seen.contains(&item) {
                    seen.push(item);
                }
            }
        }
        Value::from(seen)
    });
    stub(env, "list", |args| {
        args.first()
            .and_then(|a| a.try_iter().ok())
            .map(|it| it.collect::<Value>())
            .unwrap_or_else(|| Value::from(Vec::<Value>::new()))
    });
}

fn json_to_value(v: &serde_json::Value, depth: usize) -> Value {
    if depth > 32 {
        return Value::from(());
    }
    match v {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_f64().map(Value::from))
            .unwrap_or_default(),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => {
            items.iter().map(|i| json_to_value(i, depth + 1)).collect()
        }
        serde_json::Value::Object(map) => Value::from(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_value(v, depth + 1)))
                .collect::<BTreeMap<String, Value>>(),
        ),
    }
}

/// The `target` stand-in: name `dev`, the adapter type, placeholder
/// database and schema.
pub fn target_value(adapter_type: &str) -> Value {
    let map: BTreeMap<&str, Value> = [
        ("name", Value::from("dev")),
        ("target_name", Value::from("dev")),
        ("type", Value::from(adapter_type)),
        ("schema", Value::from("analytics")),
        ("database", Value::from("analytics")),
        ("profile_name", Value::from("pipelint")),
        ("threads", Value::from(1)),
        ("user", Value::from("pipelint")),
        ("role", Value::from("pipelint")),
        ("warehouse", Value::from("pipelint")),
        ("account", Value::from("pipelint")),
        ("project", Value::from("analytics")),
        ("dataset", Value::from("analytics")),
    ]
    .into_iter()
    .collect();
    Value::from(map)
}

#[cfg(test)]
mod tests;
