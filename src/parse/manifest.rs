//! Reads `pipeline.toml` with a span-keeping TOML parser, so every problem in it
//! points at its line and column.

use std::ops::Range;
use std::sync::Arc;

use toml_edit::{Item, TableLike, Value};

use crate::cadence::Cadence;
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::{Attributed, ConsumerFact, DataRef, FileFacts, Located, SourceFact};
use crate::failure::FailureBehavior;
use crate::manifest::{
    Allow, Layer, Manifest, PathDefaults, Project, RuleSettings, TaskAnnotation, Team,
};
use crate::parse::inline_allow;
use crate::span::{LineIndex, Span};
use crate::sql_dialect::{SqlDialect, DIALECT_NAMES};

const TOP_KEYS: &[&str] = &[
    "project", "teams", "layers", "paths", "source", "consumer", "task", "rules", "allow",
    "discover", "external",
];
const DISCOVER_KEYS: &[&str] = &["exclude", "extend-exclude", "include"];
const EXTERNAL_KEYS: &[&str] = &["dags", "datasets"];
const PROJECT_KEYS: &[&str] = &[
    "name",
    "dialect",
    "default_schema",
    "default_database",
    "root",
    "baseline",
];
const TEAM_KEYS: &[&str] = &["oncall"];
const PATH_KEYS: &[&str] = &["owner", "cadence", "on_failure", "writes"];
const SOURCE_KEYS: &[&str] = &["name", "system", "owner", "cadence", "lands_in"];
const CONSUMER_KEYS: &[&str] = &["name", "kind", "owner", "reads", "freshness"];
const CONSUMER_KINDS: &[&str] = &[
    "dashboard",
    "ml",
    "reverse_etl",
    "application",
    "notebook",
    "report",
    "api",
];
const TASK_KEYS: &[&str] = &[
    "id",
    "owner",
    "cadence",
    "on_failure",
    "reads",
    "writes",
    "runs",
    "checks",
];
const RULES_KEYS: &[&str] = &["ignore", "severity"];
const ALLOW_KEYS: &[&str] = &["rule", "node", "file", "reason"];

/// Parses the manifest text. Problems become diagnostics (`parse-error` for
/// invalid TOML, `invalid-config` for the rest); what is valid is kept.
/// Sources and consumers are returned as facts like any parser's.
pub fn parse_manifest(file: &Arc<str>, text: &str) -> (Manifest, FileFacts) {
    let index = LineIndex::new(text);
    let mut reader = Reader {
        file,
        text,
        index,
        facts: FileFacts::default(),
    };
    let mut manifest = Manifest {
        file: Some(file.clone()),
        ..Manifest::default()
    };
    let doc = match toml_edit::Document::parse(text.to_string()) {
        Ok(doc) => doc,
        Err(e) => {
            let span = reader.span(e.span());
            reader.facts.diagnostics.push(
                Diagnostic::new(
                    "parse-error",
                    format!("{MANIFEST}: not valid TOML: {}", e.message()),
                )
                .at(Some(span))
                .help("fix the TOML syntax; nothing else in the manifest is read until it parses"),
            );
            return (manifest, reader.facts);
        }
    };
    reader.inline_allows(&doc);
    let root = doc.as_table();
    reader.check_keys(root, TOP_KEYS, "the manifest");
    if let Some(t) = reader.table(root, "project") {
        manifest.project = reader.project(t);
    }
    if let Some(t) = reader.table(root, "teams") {
        manifest.teams = reader.teams(t);
    }
    if let Some(t) = reader.table(root, "layers") {
        manifest.layers = reader.layers(t);
    }
    if let Some(t) = reader.table(root, "paths") {
        manifest.paths = reader.paths(t);
    }
    for t in reader.array_of_tables(root, "source") {
        if let Some(s) = reader.source(t) {
            reader.facts.sources.push(s);
        }
    }
    for t in reader.array_of_tables(root, "consumer") {
        if let Some(c) = reader.consumer(t) {
            reader.facts.consumers.push(c);
        }
    }
    for t in reader.array_of_tables(root, "task") {
        if let Some(task) = reader.task(t) {
            manifest.tasks.push(task);
        }
    }
    if let Some(t) = reader.table(root, "rules") {
        manifest.rules = reader.rules(t);
    }
    for t in reader.array_of_tables(root, "allow") {
        if let Some(a) = reader.allow(t) {
            manifest.allows.push(a);
        }
    }
    if let Some(t) = reader.table(root, "discover") {
        manifest.discover = reader.discover(t);
    }
    if let Some(t) = reader.table(root, "external") {
        manifest.external = reader.external(t);
    }
    reader.check_duplicates(&manifest);
    (manifest, reader.facts)
}

/// Only the `[discover]` table of a manifest, for discovery, which runs
/// before the manifest is parsed; problems are reported by
/// [`parse_manifest`], not here.
pub fn discover_settings(file: &Arc<str>, text: &str) -> crate::manifest::Discover {
    let mut reader = Reader {
        file,
        text,
        index: LineIndex::new(text),
        facts: FileFacts::default(),
    };
    let Ok(doc) = toml_edit::Document::parse(text.to_string()) else {
        return crate::manifest::Discover::default();
    };
    match reader.table(doc.as_table(), "discover") {
        Some(t) => reader.discover(t),
        None => crate::manifest::Discover::default(),
    }
}

const MANIFEST: &str = "pipeline.toml";

/// One `[[table]]` entry and the range of its header.
type Entry<'t> = (&'t dyn TableLike, Option<Range<usize>>);

struct Reader<'a> {
    file: &'a Arc<str>,
    text: &'a str,
    index: LineIndex,
    facts: FileFacts,
}

impl<'a> Reader<'a> {
    /// `# pipelint: allow[rule] reason` comments of the manifest itself.
    fn inline_allows(&mut self, doc: &toml_edit::Document<String>) {
        for range in crate::parse::toml_comments::comment_ranges(doc, self.text) {
            let Some(comment) = self.text.get(range.clone()) else {
                continue;
            };
            let alone = inline_allow::alone_on_line(self.text, range.start);
            let span = self.span(Some(range.clone()));
            self.facts
                .allows
                .extend(inline_allow::allow_in_comment(comment, span, alone));
        }
    }

    fn span(&self, range: Option<Range<usize>>) -> Span {
        let range = range.unwrap_or(0..0);
        self.index
            .span(self.file, self.text, range.start, range.end)
    }

    fn invalid(&mut self, range: Option<Range<usize>>, message: String, help: impl Into<String>) {
        let span = self.span(range);
        self.facts.diagnostics.push(
            Diagnostic::new("invalid-config", message)
                .at(Some(span))
                .help(help),
        );
    }

    fn key_range(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        let (k, item) = table.get_key_value(key)?;
        k.span().or_else(|| item.span())
    }

    fn item_range(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        let (k, item) = table.get_key_value(key)?;
        item.span().or_else(|| k.span())
    }

    /// Reports every key of `table` not in `allowed`, with a suggestion.
    fn check_keys(&mut self, table: &dyn TableLike, allowed: &[&str], context: &str) {
        let unknown: Vec<String> = table
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| !allowed.contains(&k.as_str()))
            .collect();
        for key in unknown {
            let suggestion = crate::suggest::closest(&key, allowed.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            self.invalid(
                Self::key_range(table, &key),
                format!("unknown key `{key}` in {context}"),
                format!("{suggestion}known keys: {}", allowed.join(", ")),
            );
        }
    }

    fn table<'t>(&mut self, parent: &'t dyn TableLike, key: &str) -> Option<&'t dyn TableLike> {
        let item = parent.get(key)?;
        match item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.invalid(
                    Self::item_range(parent, key),
                    format!("`{key}` must be a table"),
                    format!("write it as `[{key}]` followed by its keys"),
                );
                None
            }
        }
    }

    /// The entries of an array of tables, each with the range of its header.
    fn array_of_tables<'t>(&mut self, parent: &'t dyn TableLike, key: &str) -> Vec<Entry<'t>> {
        match parent.get(key) {
            None => Vec::new(),
            Some(Item::ArrayOfTables(a)) => {
                a.iter().map(|t| (t as &dyn TableLike, t.span())).collect()
            }
            Some(Item::Value(Value::Array(a)))
                if a.iter().all(|v| v.as_inline_table().is_some()) =>
            {
                a.iter()
                    .filter_map(|v| v.as_inline_table().map(|t| (t as &dyn TableLike, t.span())))
                    .collect()
            }
            Some(_) => {
                self.invalid(
                    Self::item_range(parent, key),
                    format!("`{key}` must be an array of tables"),
                    format!("write each entry as `[[{key}]]`"),
                );
                Vec::new()
            }
        }
    }

    fn string(&mut self, table: &dyn TableLike, key: &str) -> Option<Located<String>> {
        let item = table.get(key)?;
        let range = Self::item_range(table, key);
        match item.as_str() {
            Some(s) => Some(Located::new(s.to_string(), self.span(range))),
            None => {
                self.invalid(
                    range,
                    format!("`{key}` must be a string"),
                    format!("write it as `{key} = \"…\"`"),
                );
                None
            }
        }
    }

    /// A string or an array of strings.
    fn strings(&mut self, table: &dyn TableLike, key: &str) -> Vec<Located<String>> {
        let Some(item) = table.get(key) else {
            return Vec::new();
        };
        if item.as_str().is_some() {
            return self.string(table, key).into_iter().collect();
        }
        let Some(array) = item.as_array() else {
            self.invalid(
                Self::item_range(table, key),
                format!("`{key}` must be a list of strings"),
                format!("write it as `{key} = [\"…\", \"…\"]`"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for v in array.iter() {
            match v.as_str() {
                Some(s) => out.push(Located::new(s.to_string(), self.span(v.span()))),
                None => self.invalid(
                    v.span(),
                    format!("every entry of `{key}` must be a string"),
                    "quote the entry",
                ),
            }
        }
        out
    }

    fn required_string(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        what: &str,
        at: Option<Range<usize>>,
    ) -> Option<Located<String>> {
        let s = self.string(table, key);
        if s.is_none() && table.get(key).is_none() {
            self.invalid(
                at,
                format!("{what} has no `{key}`"),
                format!("add `{key} = \"…\"`"),
            );
        }
        s
    }

    fn cadence(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        origin: &str,
    ) -> Option<Attributed<Cadence>> {
        let text = self.string(table, key)?;
        match Cadence::parse(&text.value) {
            Ok(c) => Some(Attributed::new(c, origin, Some(text.span))),
            Err(e) => {
                self.invalid(
                    Self::item_range(table, key),
                    format!("bad `{key}`: {e}"),
                    "examples: `hourly`, `every 15m`, `daily 02:00`, `0 3 * * *`, `continuous`",
                );
                None
            }
        }
    }

    fn on_failure(
        &mut self,
        table: &dyn TableLike,
        origin: &str,
    ) -> Option<Attributed<FailureBehavior>> {
        let text = self.string(table, "on_failure")?;
        match FailureBehavior::parse(&text.value) {
            Ok(f) => Some(Attributed::new(f, origin, Some(text.span))),
            Err(e) => {
                self.invalid(
                    Self::item_range(table, "on_failure"),
                    format!("bad `on_failure`: {e}"),
                    "examples: `retry(2)`, `retry(3, exponential)`, `fail-fast`, `fail-open`",
                );
                None
            }
        }
    }

    fn owner(&mut self, table: &dyn TableLike, origin: &str) -> Option<Attributed<String>> {
        let o = self.string(table, "owner")?;
        if o.value.trim().is_empty() {
            self.invalid(
                Self::item_range(table, "owner"),
                "`owner` is empty".into(),
                "name the team that is paged when this breaks",
            );
            return None;
        }
        Some(Attributed::new(o.value, origin, Some(o.span)))
    }

    fn data_refs(&mut self, table: &dyn TableLike, key: &str) -> Vec<Located<DataRef>> {
        self.strings(table, key)
            .into_iter()
            .filter(|s| {
                if s.value.trim().is_empty() {
                    self.facts.diagnostics.push(
                        Diagnostic::new("invalid-config", format!("empty dataset name in `{key}`"))
                            .at(Some(s.span.clone()))
                            .help("write a table name such as `raw.orders` or a URI such as `s3://bucket/path`"),
                    );
                    false
                } else {
                    true
                }
            })
            .map(|s| Located::new(DataRef::from_name(&s.value), s.span))
            .collect()
    }

    fn project(&mut self, t: &dyn TableLike) -> Project {
        self.check_keys(t, PROJECT_KEYS, "[project]");
        let mut project = Project {
            name: self.string(t, "name").map(|s| s.value),
            default_schema: self
                .string(t, "default_schema")
                .map(|s| s.value.to_lowercase()),
            default_database: self
                .string(t, "default_database")
                .map(|s| s.value.to_lowercase()),
            baseline: self.string(t, "baseline"),
            ..Project::default()
        };
        if let Some(d) = self.string(t, "dialect") {
            match SqlDialect::parse(&d.value) {
                Some(dialect) => project.dialect = dialect,
                None => self.invalid(
                    Self::item_range(t, "dialect"),
                    format!("unknown SQL dialect `{}`", d.value),
                    format!("known dialects: {DIALECT_NAMES}"),
                ),
            }
        }
        // `root` is read by the workspace before parsing; here it is only checked.
        if t.get("root").is_some_and(|r| r.as_bool().is_none()) {
            self.invalid(
                Self::item_range(t, "root"),
                "`root` must be true or false".to_string(),
                "`root = true` makes this folder the repo root for pipelint".to_string(),
            );
        }
        project
    }

    fn teams(&mut self, t: &dyn TableLike) -> Vec<Team> {
        let mut teams = Vec::new();
        let names: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
        for name in names {
            let range = Self::key_range(t, &name);
            let span = self.span(range.clone());
            let oncall = match t.get(&name).and_then(Item::as_table_like) {
                Some(team) => {
                    self.check_keys(team, TEAM_KEYS, &format!("team `{name}`"));
                    self.string(team, "oncall").map(|s| s.value)
                }
                None => {
                    self.invalid(
                        range,
                        format!("team `{name}` must be a table"),
                        format!("write `{name} = {{ oncall = \"#channel\" }}` or `{name} = {{}}`"),
                    );
                    None
                }
            };
            teams.push(Team { name, oncall, span });
        }
        teams
    }

    fn layers(&mut self, t: &dyn TableLike) -> Vec<Layer> {
        let mut layers = Vec::new();
        let names: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
        for name in names {
            let patterns = self.strings(t, &name);
            let mut builder = globset::GlobSetBuilder::new();
            let mut valid = Vec::new();
            for p in patterns {
                match glob(&p.value) {
                    Ok(g) => {
                        builder.add(g);
                        valid.push(p);
                    }
                    Err(e) => self.push_bad_glob(&p, &e),
                }
            }
            match builder.build() {
                Ok(matcher) => layers.push(Layer {
                    name,
                    patterns: valid,
                    matcher,
                }),
                Err(e) => self.invalid(
                    Self::item_range(t, &name),
                    format!("layer `{name}`: {e}"),
                    "check the patterns",
                ),
            }
        }
        layers
    }

    fn push_bad_glob(&mut self, p: &Located<String>, e: &str) {
        self.facts.diagnostics.push(
            Diagnostic::new(
                "invalid-config",
                format!(
                    "bad glob `{}`: {e}",
                    crate::diagnostic::truncate(&p.value, 80)
                ),
            )
            .at(Some(p.span.clone()))
            .help("globs use `*` (any text), `**` (any path), `?`, `[abc]` and `{a,b}`"),
        );
    }

    fn paths(&mut self, t: &dyn TableLike) -> Vec<PathDefaults> {
        let mut out = Vec::new();
        let globs: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
        for g in globs {
            let range = Self::key_range(t, &g);
            let located = Located::new(g.clone(), self.span(range.clone()));
            let Some(entry) = t.get(&g).and_then(Item::as_table_like) else {
                self.invalid(
                    range,
                    format!("`paths.\"{g}\"` must be a table"),
                    format!("write `[paths.\"{g}\"]` followed by owner, cadence or on_failure"),
                );
                continue;
            };
            self.check_keys(entry, PATH_KEYS, &format!("[paths.\"{g}\"]"));
            let origin = format!("[paths.\"{g}\"]");
            let owner = self.owner(entry, &origin);
            let cadence = self.cadence(entry, "cadence", &origin);
            let on_failure = self.on_failure(entry, &origin);
            let writes = self.string(entry, "writes");
            match glob_matcher(&g) {
                Ok(matcher) => out.push(PathDefaults {
                    glob: located,
                    matcher,
                    owner,
                    cadence,
                    on_failure,
                    writes,
                }),
                Err(e) => self.push_bad_glob(&located, &e),
            }
        }
        out
    }

    /// `[discover]`: pattern lists, each glob checked.
    fn discover(&mut self, t: &dyn TableLike) -> crate::manifest::Discover {
        self.check_keys(t, DISCOVER_KEYS, "[discover]");
        let list = |r: &mut Self, key: &str| -> Option<Vec<Located<String>>> {
            t.get(key)?;
            let patterns = r.strings(t, key);
            Some(
                patterns
                    .into_iter()
                    .filter(|p| match glob(&p.value) {
                        Ok(_) => true,
                        Err(e) => {
                            r.push_bad_glob(p, &e);
                            false
                        }
                    })
                    .collect(),
            )
        };
        crate::manifest::Discover {
            exclude: list(self, "exclude"),
            extend_exclude: list(self, "extend-exclude").unwrap_or_default(),
            include: list(self, "include"),
        }
    }

    /// `[external]`: DAG and dataset globs.
    fn external(&mut self, t: &dyn TableLike) -> crate::manifest::External {
        self.check_keys(t, EXTERNAL_KEYS, "[external]");
        let dags = self.strings(t, "dags");
        let datasets = self.strings(t, "datasets");
        let dag_matcher = self.glob_set(&dags);
        let dataset_matcher = self.glob_set(&datasets);
        crate::manifest::External {
            dags,
            datasets,
            dag_matcher,
            dataset_matcher,
        }
    }

    /// Compiles globs into one set, reporting the bad ones.
    fn glob_set(&mut self, patterns: &[Located<String>]) -> globset::GlobSet {
        let mut set = globset::GlobSetBuilder::new();
        for p in patterns {
            match glob(&p.value) {
                Ok(g) => {
                    set.add(g);
                }
                Err(e) => self.push_bad_glob(p, &e),
            }
        }
        set.build().unwrap_or_else(|_| globset::GlobSet::empty())
    }

    fn source(&mut self, (t, at): Entry<'_>) -> Option<SourceFact> {
        self.check_keys(t, SOURCE_KEYS, "[[source]]");
        let name = self.required_string(t, "name", "a [[source]] entry", at.clone())?;
        let system = self.string(t, "system");
        let lands_in = self.data_refs(t, "lands_in").into_iter().next();
        Some(SourceFact {
            project: None,
            owner: self.owner(t, "[[source]]"),
            cadence: self.cadence(t, "cadence", "[[source]]"),
            name: name.value,
            system,
            lands_in,
            span: name.span,
        })
    }

    fn consumer(&mut self, (t, at): Entry<'_>) -> Option<ConsumerFact> {
        self.check_keys(t, CONSUMER_KEYS, "[[consumer]]");
        let name = self.required_string(t, "name", "a [[consumer]] entry", at)?;
        let kind = match self.string(t, "kind") {
            Some(k) if CONSUMER_KINDS.contains(&k.value.as_str()) => k.value,
            Some(k) => {
                self.invalid(
                    Self::item_range(t, "kind"),
                    format!("unknown consumer kind `{}`", k.value),
                    format!("known kinds: {}", CONSUMER_KINDS.join(", ")),
                );
                k.value
            }
            None => "consumer".to_string(),
        };
        Some(ConsumerFact {
            freshness_optional: false,
            owner: self.owner(t, "[[consumer]]"),
            freshness: self.cadence(t, "freshness", "[[consumer]]"),
            reads: self.data_refs(t, "reads"),
            name: name.value,
            kind,
            span: name.span,
        })
    }

    fn task(&mut self, (t, at): Entry<'_>) -> Option<TaskAnnotation> {
        self.check_keys(t, TASK_KEYS, "[[task]]");
        let id = self.required_string(t, "id", "a [[task]] entry", at)?;
        Some(TaskAnnotation {
            span: id.span.clone(),
            owner: self.owner(t, "[[task]]"),
            cadence: self.cadence(t, "cadence", "[[task]]"),
            on_failure: self.on_failure(t, "[[task]]"),
            reads: self.data_refs(t, "reads"),
            writes: self.data_refs(t, "writes"),
            runs: self.strings(t, "runs"),
            checks: self.data_refs(t, "checks"),
            id,
        })
    }

    fn rules(&mut self, t: &dyn TableLike) -> RuleSettings {
        self.check_keys(t, RULES_KEYS, "[rules]");
        let ignore = self.strings(t, "ignore");
        let mut severity = Vec::new();
        if let Some(table) = self.table(t, "severity") {
            let rules: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
            for rule in rules {
                let key_span = self.span(Self::key_range(table, &rule));
                let Some(level) = self.string(table, &rule) else {
                    continue;
                };
                match Severity::parse(&level.value) {
                    Some(s) => severity.push((Located::new(rule, key_span), s)),
                    None => self.invalid(
                        Self::item_range(table, &rule),
                        format!("unknown severity `{}` for `{rule}`", level.value),
                        "use `error`, `warn` or `info`",
                    ),
                }
            }
        }
        RuleSettings { ignore, severity }
    }

    fn allow(&mut self, (t, at): Entry<'_>) -> Option<Allow> {
        self.check_keys(t, ALLOW_KEYS, "[[allow]]");
        let rule = self.required_string(t, "rule", "an [[allow]] entry", at.clone())?;
        let reason = self
            .string(t, "reason")
            .map(|r| r.value)
            .unwrap_or_default();
        if reason.trim().is_empty() {
            self.invalid(
                at,
                format!("[[allow]] for `{}` gives no reason", rule.value),
                "add `reason = \"…\"`: an exception is a reviewed decision, and the reason is its record",
            );
            return None;
        }
        let node = self.string(t, "node").map(|n| n.value);
        let file = match self.string(t, "file") {
            Some(f) => match glob_matcher(&f.value) {
                Ok(m) => Some(m),
                Err(e) => {
                    self.push_bad_glob(&f, &e);
                    return None;
                }
            },
            None => None,
        };
        if node.is_none() && file.is_none() {
            self.invalid(
                at,
                format!("[[allow]] for `{}` names neither a `node` nor a `file`", rule.value),
                "limit the exception with `node = \"consumer:…\"` or `file = \"path/glob\"`; to turn a rule off everywhere use `[rules] ignore`",
            );
            return None;
        }
        Some(Allow {
            span: rule.span.clone(),
            rule,
            node,
            file,
            reason,
        })
    }

    /// Two sources, consumers or tasks with one name are reported at the second.
    fn check_duplicates(&mut self, manifest: &Manifest) {
        let mut dups = Vec::new();
        let sources: Vec<(&str, &Span)> = self
            .facts
            .sources
            .iter()
            .map(|s| (s.name.as_str(), &s.span))
            .collect();
        find_duplicates("source", &sources, &mut dups);
        let consumers: Vec<(&str, &Span)> = self
            .facts
            .consumers
            .iter()
            .map(|c| (c.name.as_str(), &c.span))
            .collect();
        find_duplicates("consumer", &consumers, &mut dups);
        let tasks: Vec<(&str, &Span)> = manifest
            .tasks
            .iter()
            .map(|t| (t.id.value.as_str(), &t.id.span))
            .collect();
        find_duplicates("task", &tasks, &mut dups);
        self.facts.diagnostics.extend(dups);
    }
}

fn find_duplicates(what: &str, entries: &[(&str, &Span)], out: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<&str, &Span> = std::collections::HashMap::new();
    for (name, span) in entries {
        if let Some(first) = seen.get(name) {
            out.push(
                Diagnostic::new(
                    "invalid-config",
                    format!("{what} `{name}` is declared twice"),
                )
                .at(Some((*span).clone()))
                .related("first declared here", None, Some((*first).clone()))
                .help(format!(
                    "each {what} needs a unique name; merge the two entries"
                )),
            );
        } else {
            seen.insert(name, span);
        }
    }
}

/// Compiles a manifest glob (paths and dataset names alike).
fn glob(pattern: &str) -> Result<globset::Glob, String> {
    if let Some(why) = crate::globs::too_long(pattern) {
        return Err(why);
    }
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map_err(|e| e.kind().to_string())
}

/// [`glob`] as a matcher.
fn glob_matcher(pattern: &str) -> Result<globset::GlobSet, String> {
    crate::globs::matcher(glob(pattern)?).map_err(|e| e.kind().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let file: Arc<str> = Arc::from("pipeline.toml");
        let (_, facts) = parse_manifest(&file, text);
        facts
            .diagnostics
            .iter()
            .map(|d| {
                let s = d.span.as_ref().expect("every manifest problem has a place");
                format!("{}:{}:{} {}", d.rule, s.line, s.column, d.message)
            })
            .collect()
    }

    #[test]
    fn a_valid_manifest_reads_fully() {
        let file: Arc<str> = Arc::from("pipeline.toml");
        let text = "[project]\ndialect = \"bigquery\"\ndefault_schema = \"Analytics\"\n\
                    [teams]\ndata-eng = { oncall = \"#de\" }\n\
                    [layers]\nraw = [\"raw.*\"]\nserving = [\"mart.*\"]\n\
                    [paths.\"dags/**\"]\nowner = \"data-eng\"\ncadence = \"@hourly\"\n\
                    [[source]]\nname = \"s\"\nsystem = \"pg://x\"\nlands_in = \"raw.s\"\n\
                    [[task]]\nid = \"d.t\"\nruns = \"sql/a.sql\"\n\
                    [rules]\nignore = [\"orphan-serving\"]\nseverity = { layer-skip = \"error\" }\n";
        let (m, facts) = parse_manifest(&file, text);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        assert_eq!(m.project.dialect, SqlDialect::BigQuery);
        assert_eq!(m.project.default_schema.as_deref(), Some("analytics"));
        assert_eq!(
            m.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["raw", "serving"]
        );
        assert!(m.layers[1].matcher.is_match("mart.revenue"));
        assert_eq!(
            m.paths[0].cadence.as_ref().map(|c| c.value.clone()),
            Some(Cadence::Every(3600))
        );
        assert_eq!(m.tasks[0].node_id(), "task:d.t");
        assert_eq!(m.tasks[0].runs[0].value, "sql/a.sql");
        assert_eq!(m.rules.severity[0].1, Severity::Error);
        assert_eq!(facts.sources[0].span.line, 13);
    }

    #[test]
    fn every_problem_points_at_its_line_and_column() {
        let text = "[project]\ndialect = \"oracle9\"\n\
                    [[source]]\nname = \"orders\"\ncadense = \"hourly\"\n\
                    [[source]]\nname = \"orders\"\ncadence = \"sometimes\"\n\
                    [[consumer]]\nname = \"dash\"\nkind = \"tv\"\nreads = [\"mart.x\", 3]\n\
                    [[allow]]\nrule = \"layer-skip\"\nnode = \"consumer:dash\"\n\
                    [rules]\nseverity = { layer-skip = \"fatal\" }\n";
        assert_eq!(
            problems(text),
            [
                "invalid-config:2:11 unknown SQL dialect `oracle9`",
                "invalid-config:5:1 unknown key `cadense` in [[source]]",
                "invalid-config:8:11 bad `cadence`: `sometimes` is not a cadence: use `continuous`, `every 15m`, `hourly`, `daily`, `daily 02:00`, `weekly`, a cron expression or an Airflow preset such as `@daily`",
                "invalid-config:11:8 unknown consumer kind `tv`",
                "invalid-config:12:20 every entry of `reads` must be a string",
                "invalid-config:17:27 unknown severity `fatal` for `layer-skip`",
                "invalid-config:13:1 [[allow]] for `layer-skip` gives no reason",
                "invalid-config:7:8 source `orders` is declared twice",
            ]
        );
    }

    #[test]
    fn unknown_keys_get_a_suggestion() {
        let file: Arc<str> = Arc::from("pipeline.toml");
        let (_, facts) =
            parse_manifest(&file, "[[consumer]]\nname = \"d\"\nfreshnes = \"daily\"\n");
        assert_eq!(facts.diagnostics.len(), 1);
        assert!(facts.diagnostics[0]
            .help
            .as_deref()
            .unwrap_or("")
            .starts_with("did you mean `freshness`?"));
    }

    #[test]
    fn inline_allows_come_from_comments_only() {
        let file: Arc<str> = Arc::from("pipeline.toml");
        let text = "[[consumer]]\nname = \"nb # pipelint: allow[x] not a comment\"\n\
                    # pipelint: allow[consumer-reads-raw] reviewed\nreads = [\"raw.x\"]  # pipelint: allow[missing-cadence] by hand\n";
        let (_, facts) = parse_manifest(&file, text);
        let allows: Vec<(String, u32, u32)> = facts
            .allows
            .iter()
            .map(|a| (a.rule.clone(), a.span.line, a.applies_to_line))
            .collect();
        assert_eq!(
            allows,
            [
                ("consumer-reads-raw".to_string(), 3, 4),
                ("missing-cadence".to_string(), 4, 4)
            ]
        );
    }
}
