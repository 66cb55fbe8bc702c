//! Values the static reader can know: constants folded from module-level
//! strings, numbers, lists and dicts (f-strings included), and the Airflow
//! objects (DAGs, task groups, tasks, assets) that calls build.
//!
//! Anything the reader cannot know is `Value::Unknown`; it is never guessed.

use tree_sitter::Node;

use crate::cadence::Cadence;

/// The longest string the reader builds by folding.
pub(super) const MAX_TEXT: usize = 1 << 20;
/// The most values one folded list or dict may hold, nested ones included.
pub(super) const MAX_ITEMS: usize = 10_000;
/// How deeply folded lists and dicts may nest.
pub(super) const MAX_NESTING: usize = 32;

/// A byte range in the file.
pub(super) type Range = (usize, usize);

/// A string value, with where it is written verbatim in the file (when the
/// value is exactly the file's bytes from that offset: no escape, no
/// interpolation), so positions inside it (SQL text) map back to the file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Text {
    /// The decoded text.
    pub s: String,
    /// Byte offset of the first character in the file, if written verbatim.
    pub raw_at: Option<usize>,
}

/// A task or a task group, as a dependency endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Endpoint {
    /// A task, by index in the model.
    Task(usize),
    /// A task group, by index in the model: its roots downstream, its leaves upstream.
    Group(usize),
}

/// A Dataset/Asset reference: its URI (or name) and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct AssetRef {
    /// The URI, or the name when no URI is given.
    pub name: String,
    /// Where it is written.
    pub at: Range,
}

/// A named value with where it is written: a keyword argument or a dict entry.
#[derive(Debug, Clone)]
pub(super) struct Entry<'t> {
    /// The keyword or dict key.
    pub key: String,
    /// The value.
    pub value: Value<'t>,
    /// Where the value is written.
    pub at: Range,
}

/// What a decorated function becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FnKind {
    /// A plain function: its body runs (statically) where it is called.
    Plain,
    /// `@task` / `@task.<kind>`: each call inside a DAG is a task.
    Task,
    /// `@task_group`: each call is a task group.
    TaskGroup,
    /// `@dag`: each call is a DAG.
    Dag,
}

/// A task's part in setup/teardown (Airflow 2.7+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum TaskRole {
    /// An ordinary task.
    #[default]
    Work,
    /// `@setup` / `.as_setup()`.
    Setup,
    /// `@teardown` / `.as_teardown()`.
    Teardown,
}

/// A function defined in the file.
#[derive(Debug, Clone)]
pub(super) struct FnDef<'t> {
    /// The `function_definition` node.
    pub node: Node<'t>,
    /// What its decorator makes of it.
    pub kind: FnKind,
    /// Keyword arguments of the decorator (and of `.override(...)` calls).
    pub kwargs: Vec<Entry<'t>>,
    /// `@setup` / `@teardown`.
    pub role: TaskRole,
}

/// A call's arguments, evaluated.
#[derive(Debug, Clone, Default)]
pub(super) struct Args<'t> {
    /// Positional arguments (a known `*list` is spread into them).
    pub positional: Vec<(Value<'t>, Range)>,
    /// Keyword arguments (a known `**dict` is spread into them), in order.
    pub keywords: Vec<Entry<'t>>,
    /// A `*args` / `**kwargs` whose content is not known.
    pub unknown_spread: Option<Range>,
}

impl<'t> Args<'t> {
    /// The last keyword argument with this name (a later one overrides).
    pub fn kw(&self, name: &str) -> Option<&Entry<'t>> {
        self.keywords.iter().rev().find(|e| e.key == name)
    }

    /// The keyword argument `name`, or else the positional argument `index`.
    pub fn arg(&self, name: &str, index: usize) -> Option<(&Value<'t>, Range)> {
        self.kw(name)
            .map(|e| (&e.value, e.at))
            .or_else(|| self.positional.get(index).map(|(v, r)| (v, *r)))
    }
}

/// What `X.partial(...)` returns: a mapped task waiting for `.expand(...)`.
#[derive(Debug, Clone)]
pub(super) struct PartialCall<'t> {
    /// The operator class name, or the `@task` function.
    pub target: PartialTarget<'t>,
    /// The arguments given to `.partial(...)`.
    pub args: Args<'t>,
    /// Where the operator or function is named.
    pub at: Range,
}

/// What a `.partial(...)` applies to.
#[derive(Debug, Clone)]
pub(super) enum PartialTarget<'t> {
    /// A classic operator class.
    Operator(String),
    /// A `@task` function.
    TaskFn(FnDef<'t>),
}

/// A schedule object (timetable) and what is known of it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Timetable {
    /// Its cadence, when it can be read.
    pub cadence: Option<Cadence>,
    /// The assets it waits for (`DatasetOrTimeSchedule`).
    pub assets: Vec<AssetRef>,
    /// What it is called, for messages.
    pub name: String,
}

/// A statically known value.
#[derive(Debug, Clone)]
pub(super) enum Value<'t> {
    /// Not known statically.
    Unknown,
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Text),
    /// A list, tuple or set.
    List(Vec<Value<'t>>),
    /// A dict with string keys.
    Dict(Vec<Entry<'t>>),
    /// A `timedelta(...)`, in seconds.
    Duration(u64),
    /// A `Dataset(...)` / `Asset(...)`.
    Asset(AssetRef),
    /// A timetable object.
    Timetable(Timetable),
    /// A path inside the repo, repo-relative (from `__file__`).
    RepoPath(String),
    /// A DAG, by index in the model.
    Dag(usize),
    /// A task group, by index in the model.
    Group(usize),
    /// One or more tasks; `xcom` when it is a task's output (a `@task` call
    /// result or `.output`), which makes it an upstream of whatever takes it.
    Tasks {
        /// The tasks or groups.
        items: Vec<Endpoint>,
        /// Whether it is the tasks' output (an XComArg).
        xcom: bool,
    },
    /// A function defined in the file.
    Function(FnDef<'t>),
    /// `X.partial(...)`.
    Partial(Box<PartialCall<'t>>),
    /// An edge label (`Label("…")`): transparent in `a >> Label(…) >> b`.
    Label,
}

impl<'t> Value<'t> {
    /// A string without a file position; `Unknown` past `MAX_TEXT` bytes, so
    /// folding (`s = s + s` in a loop) cannot eat memory.
    pub fn string(s: impl Into<String>) -> Value<'t> {
        let s = s.into();
        if s.len() > MAX_TEXT {
            return Value::Unknown;
        }
        Value::Str(Text { s, raw_at: None })
    }

    /// A list; `Unknown` when it would hold more than `MAX_ITEMS` values or
    /// nest deeper than `MAX_NESTING` (folding `l = [l, l]` in a loop must
    /// neither eat memory nor build a value too deep to drop safely).
    pub fn list(items: Vec<Value<'t>>) -> Value<'t> {
        let v = Value::List(items);
        if v.fits() {
            v
        } else {
            Value::Unknown
        }
    }

    /// A dict, bounded like [`Value::list`].
    pub fn dict(entries: Vec<Entry<'t>>) -> Value<'t> {
        let v = Value::Dict(entries);
        if v.fits() {
            v
        } else {
            Value::Unknown
        }
    }

    /// Whether the value holds at most `MAX_ITEMS` values nested at most
    /// `MAX_NESTING` deep (counted iteratively, stopping at the limits).
    fn fits(&self) -> bool {
        let mut stack: Vec<(&Value<'t>, usize)> = vec![(self, 0)];
        let mut count = 0usize;
        while let Some((v, depth)) = stack.pop() {
            count += 1;
            if count > MAX_ITEMS || depth > MAX_NESTING {
                return false;
            }
            match v {
                Value::List(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
                Value::Dict(entries) => stack.extend(entries.iter().map(|e| (&e.value, depth + 1))),
                _ => {}
            }
        }
        true
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(t) => Some(&t.s),
            _ => None,
        }
    }

    /// Python truthiness, when known.
    pub fn truthy(&self) -> Option<bool> {
        match self {
            Value::None => Some(false),
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            Value::Float(f) => Some(*f != 0.0),
            Value::Str(t) => Some(!t.s.is_empty()),
            Value::List(l) => Some(!l.is_empty()),
            Value::Dict(d) => Some(!d.is_empty()),
            Value::Unknown => None,
            _ => Some(true),
        }
    }

    /// How the value prints in an f-string or `str()`, for scalars.
    pub fn display(&self) -> Option<String> {
        match self {
            Value::Str(t) => Some(t.s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format!("{f:?}")),
            Value::Bool(true) => Some("True".into()),
            Value::Bool(false) => Some("False".into()),
            Value::None => Some("None".into()),
            _ => None,
        }
    }

    /// Scalar equality, when both sides are known scalars.
    pub fn equals(&self, other: &Value<'_>) -> Option<bool> {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Some(a.s == b.s),
            (Value::Int(a), Value::Int(b)) => Some(a == b),
            (Value::Bool(a), Value::Bool(b)) => Some(a == b),
            (Value::None, Value::None) => Some(true),
            (Value::None, Value::Str(_) | Value::Int(_) | Value::Bool(_))
            | (Value::Str(_) | Value::Int(_) | Value::Bool(_), Value::None) => Some(false),
            (Value::Str(_), Value::Int(_)) | (Value::Int(_), Value::Str(_)) => Some(false),
            _ => None,
        }
    }

    /// The entry `key` of a dict value.
    pub fn get(&self, key: &str) -> Option<&Entry<'t>> {
        match self {
            Value::Dict(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Whether the value holds a task anywhere inside (lists, dicts).
    pub fn upstream_outputs(&self, out: &mut Vec<Endpoint>) {
        match self {
            Value::Tasks { items, xcom: true } => out.extend(items.iter().copied()),
            Value::List(items) => items.iter().for_each(|v| v.upstream_outputs(out)),
            Value::Dict(entries) => entries.iter().for_each(|e| e.value.upstream_outputs(out)),
            _ => {}
        }
    }
}

/// Decodes the body of a Python string literal: escape sequences (unless the
/// literal is raw) and doubled braces of f-strings. Returns the text and
/// whether it equals the raw body byte for byte.
pub(super) fn unescape(raw: &str, is_raw: bool, is_fstring: bool) -> (String, bool) {
    if is_raw && !is_fstring {
        return (raw.to_string(), true);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !is_raw => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('\\') => out.push('\\'),
                Some('\'') => out.push('\''),
                Some('"') => out.push('"'),
                Some('\n') => {}
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '{' | '}' if is_fstring && chars.peek() == Some(&c) => {
                chars.next();
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    let same = out == raw;
    (out, same)
}

/// Seconds of a `timedelta(...)` from its arguments (`days, seconds,
/// microseconds, milliseconds, minutes, hours, weeks` positionally or by name).
pub(super) fn timedelta_seconds(args: &Args<'_>) -> Option<u64> {
    const UNITS: [(&str, f64); 7] = [
        ("days", 86_400.0),
        ("seconds", 1.0),
        ("microseconds", 0.000_001),
        ("milliseconds", 0.001),
        ("minutes", 60.0),
        ("hours", 3600.0),
        ("weeks", 604_800.0),
    ];
    let mut total = 0.0f64;
    for (i, (name, unit)) in UNITS.iter().enumerate() {
        let Some((value, _)) = args.arg(name, i) else {
            continue;
        };
        let n = match value {
            Value::Int(n) => *n as f64,
            Value::Float(f) => *f,
            _ => return None,
        };
        total += n * unit;
    }
    if args.unknown_spread.is_some() || !(0.0..=1e12).contains(&total) {
        return None;
    }
    Some(total.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_keeps_raw_text_verbatim_and_decodes_escapes() {
        assert_eq!(
            unescape("SELECT 1", false, false),
            ("SELECT 1".into(), true)
        );
        assert_eq!(
            unescape(r"a\nb\\c", false, false),
            ("a\nb\\c".into(), false)
        );
        assert_eq!(unescape(r"a\nb", true, false), (r"a\nb".into(), true));
        assert_eq!(unescape("{{ ds }}", false, true), ("{ ds }".into(), false));
        assert_eq!(unescape(r"\d+", false, false), (r"\d+".into(), true));
    }

    #[test]
    fn timedelta_reads_positional_and_keyword_units() {
        let mut args = Args::default();
        args.keywords.push(Entry {
            key: "hours".into(),
            value: Value::Int(2),
            at: (0, 0),
        });
        args.keywords.push(Entry {
            key: "minutes".into(),
            value: Value::Int(30),
            at: (0, 0),
        });
        assert_eq!(timedelta_seconds(&args), Some(9000));
        let mut pos = Args::default();
        pos.positional.push((Value::Int(1), (0, 0)));
        assert_eq!(timedelta_seconds(&pos), Some(86_400));
        pos.positional.push((Value::Unknown, (0, 0)));
        assert_eq!(timedelta_seconds(&pos), None);
    }
}
