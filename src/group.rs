//! One finding per fix: the stage after the rules (and the per-node allows)
//! that folds the findings of one rule whose fix lives in one place into one
//! finding anchored there.
//!
//! - tasks (and the DAG itself) of one DAG → the DAG, whose `default_args` fix them all;
//! - tables of one dbt `sources:` block without a cadence → the source entry,
//!   where one `freshness:` fixes them all;
//! - dbt models, seeds, snapshots and sources → the highest folder of their
//!   project none of whose nodes has what the rule asks for, anchored at that
//!   folder's entry in `dbt_project.yml` (one `+meta` block fixes them);
//! - SQL scripts → the highest folder none of whose scripts has it, anchored
//!   at `pipeline.toml` (one `[paths]` glob fixes them) or the first script.
//!
//! A group of one stays the finding it was. A grouped finding lists every
//! node in [`Diagnostic::nodes`] and one related place per node, so JSON,
//! SARIF and baselines lose nothing. The rules themselves never group.

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::{HashMap, HashSet};
use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::JobKind;
use crate::files::SourceMap;
use crate::graph::{Graph, Node, NodeKind};
use crate::parse::dbt::yaml;
use crate::span::Span;
use crate::workspace::{folder_of, within};

/// The rules whose findings are grouped: their fix is an inherited setting.
pub const GROUPED_RULES: [&str; 3] = [
    "missing-owner",
    "missing-cadence",
    "missing-failure-behavior",
];

/// How many node ids a grouped message names before "and N more".
const NAMED_IN_MESSAGE: usize = 3;

/// Where one fix goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    /// A DAG's `default_args` (the DAG id).
    Dag(String),
    /// A dbt `sources:` entry: the schema file and the source name.
    SourceBlock(Arc<str>, String),
    /// A folder of a dbt project (project dir, folder).
    DbtFolder(String, String),
    /// A folder of SQL scripts.
    ScriptFolder(String),
}

impl Place {
    /// The discriminator a grouped finding's fingerprint is made of.
    fn key(&self) -> String {
        match self {
            Place::Dag(d) => format!("dag:{d}"),
            Place::SourceBlock(f, s) => format!("sources:{f}#{s}"),
            Place::DbtFolder(_, f) => format!("dbt-folder:{f}"),
            Place::ScriptFolder(f) => format!("folder:{f}"),
        }
    }
}

/// The family of nodes a folder is judged over: a dbt project's nodes (by
/// its folder), or the repo's SQL scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Family<'p> {
    Dbt(&'p str),
    Scripts,
}

/// Folders (with their family) that hold a node the rule did not flag.
type Blocked<'a> = HashSet<(Family<'a>, &'a str)>;

/// The (rule, node) pairs the grouped rules flagged, before any allow or
/// baseline removed some: a node allowed or baselined still lacks what the
/// rule asks for, so it does not keep its folder from being grouped.
pub fn lacking(diags: &[Diagnostic]) -> HashSet<(&'static str, String)> {
    diags
        .iter()
        .filter(|d| GROUPED_RULES.contains(&d.rule))
        .filter_map(|d| Some((d.rule, d.node.clone()?)))
        .collect()
}

/// Folds findings of [`GROUPED_RULES`] into one finding per fix; every other
/// finding passes unchanged. `lacking` is what [`lacking`] gave before
/// allows and baselines.
pub fn group(
    diags: Vec<Diagnostic>,
    lacking: &HashSet<(&'static str, String)>,
    graph: &Graph,
    sources: &SourceMap,
    parse_yaml: &ParseYaml<'_>,
) -> Vec<Diagnostic> {
    let projects = dbt_projects(sources);
    let mut out = Vec::with_capacity(diags.len());
    let mut candidates: Vec<(Diagnostic, &Node)> = Vec::new();
    for d in diags {
        let node = d
            .node
            .as_deref()
            .filter(|_| d.nodes.is_empty() && GROUPED_RULES.contains(&d.rule))
            .and_then(|id| graph.get(id))
            .map(|(_, n)| n);
        match node {
            Some(n) => candidates.push((d, n)),
            None => out.push(d),
        }
    }
    let mut blocked: BTreeMap<&str, Blocked> = BTreeMap::new();
    let wanted: Vec<&str> = GROUPED_RULES
        .into_iter()
        .filter(|rule| candidates.iter().any(|(d, _)| d.rule == *rule))
        .collect();
    if !wanted.is_empty() {
        // Each node's family and folder, found once for every rule.
        let members: Vec<(&str, Family, &str)> = graph
            .nodes()
            .filter_map(|(_, n)| {
                let (family, file) = family_of(n, &projects)?;
                Some((n.id.as_str(), family, folder_of(file)))
            })
            .collect();
        for rule in wanted {
            let flagged: HashSet<&str> = lacking
                .iter()
                .filter(|(r, _)| *r == rule)
                .map(|(_, id)| id.as_str())
                .collect();
            // Folders holding a node of the family that the rule did not
            // flag: a fix there would be wrong for that node, so no group
            // spans them. Each folder's ancestors are walked once.
            let holding: HashSet<(Family, &str)> = members
                .iter()
                .filter(|(id, _, _)| !flagged.contains(id))
                .map(|&(_, family, folder)| (family, folder))
                .collect();
            let set = blocked.entry(rule).or_default();
            for (family, folder) in holding {
                for above in ancestors(base_of(family), folder) {
                    set.insert((family, above));
                }
            }
        }
    }
    let mut groups: BTreeMap<(&'static str, Place), Vec<(Diagnostic, &Node)>> = BTreeMap::new();
    for (d, n) in candidates {
        match place_of(d.rule, n, &projects, blocked.get(d.rule)) {
            Some(place) => groups.entry((d.rule, place)).or_default().push((d, n)),
            None => out.push(d),
        }
    }
    // The YAML files the groups are anchored in, read and parsed in parallel.
    let anchors: HashSet<Arc<str>> = groups
        .iter()
        .filter(|(_, members)| members.len() > 1)
        .filter_map(|((_, place), _)| match place {
            Place::SourceBlock(file, _) => Some(file.clone()),
            Place::DbtFolder(project, _) => Some(project_file(project)),
            _ => None,
        })
        .collect();
    let mut yaml = YamlFiles {
        sources,
        parse_yaml,
        parsed: anchors
            .into_par_iter()
            .map(|file| {
                let parsed = sources.get(&file).and_then(|t| parse_yaml(&file, &t));
                (file, parsed)
            })
            .collect(),
    };
    for ((rule, place), members) in groups {
        if members.len() == 1 {
            out.extend(members.into_iter().map(|(d, _)| d));
        } else {
            out.push(grouped(rule, &place, members, graph, &mut yaml));
        }
    }
    out
}

/// Whether a finding belongs to a run limited to `folder` (repo-relative, no
/// trailing slash; `""` is the whole repo): its place is in it, or for a
/// grouped finding, the place of any node it stands for.
pub fn belongs_to(d: &Diagnostic, folder: &str) -> bool {
    if folder.is_empty() {
        return true;
    }
    let inside = |s: &Span| within(folder, &s.file);
    if d.nodes.is_empty() {
        d.span.as_ref().is_some_and(inside)
    } else {
        d.related
            .iter()
            .any(|r| r.span.as_ref().is_some_and(inside))
    }
}

/// The folders holding a `dbt_project.yml`, longest first.
fn dbt_projects(sources: &SourceMap) -> Vec<String> {
    let mut dirs: Vec<String> = sources
        .files()
        .iter()
        .filter(|f| f.rsplit('/').next() == Some("dbt_project.yml"))
        .map(|f| folder_of(f).to_string())
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    dirs
}

/// The family a node is judged in for folder groups, with its file.
fn family_of<'a>(n: &'a Node, projects: &'a [String]) -> Option<(Family<'a>, &'a Arc<str>)> {
    let file = &n.span.as_ref()?.file;
    let dbt_kind = matches!(
        n.kind,
        NodeKind::Job(JobKind::Model | JobKind::Seed | JobKind::Snapshot)
    ) || (n.kind == NodeKind::Source && is_yaml(file));
    if dbt_kind {
        let project = projects
            .iter()
            .find(|p| within(p, file))
            .map_or("", String::as_str);
        return Some((Family::Dbt(project), file));
    }
    (n.kind == NodeKind::Job(JobKind::Script)).then_some((Family::Scripts, file))
}

/// The highest folder a family's groups can span.
fn base_of(family: Family<'_>) -> &str {
    match family {
        Family::Dbt(p) => p,
        Family::Scripts => "",
    }
}

/// Where the fix for this finding goes, or `None` when it is a fix of its own.
fn place_of(rule: &str, n: &Node, projects: &[String], blocked: Option<&Blocked>) -> Option<Place> {
    match n.kind {
        NodeKind::Dag => return Some(Place::Dag(n.name.clone())),
        NodeKind::Job(JobKind::Task) => return n.dag.clone().map(Place::Dag),
        NodeKind::Source if rule == "missing-cadence" => {
            let file = n.span.as_ref()?.file.clone();
            let name = n.id.strip_prefix("source:")?;
            let (source, _) = name.split_once('.')?;
            return is_yaml(&file).then(|| Place::SourceBlock(file, source.to_string()));
        }
        _ => {}
    }
    let (family, file) = family_of(n, projects)?;
    let folder = ancestors(base_of(family), folder_of(file))
        .find(|f| !blocked.is_some_and(|b| b.contains(&(family, *f))))?;
    Some(match family {
        Family::Dbt(project) => Place::DbtFolder(project.to_string(), folder.to_string()),
        Family::Scripts => Place::ScriptFolder(folder.to_string()),
    })
}

/// `base` and each folder below it down to `folder`, highest first (only
/// `base` itself when `folder` is not inside it): slices of `folder`, so
/// walking them allocates nothing.
fn ancestors<'a>(base: &'a str, folder: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let below = if base.is_empty() {
        Some(folder)
    } else {
        folder
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix('/'))
            .filter(|r| !r.is_empty())
    };
    // Where each folder below `base` ends in `folder`.
    let start = folder.len() - below.map_or(0, str::len);
    let ends = below
        .into_iter()
        .flat_map(move |r| {
            r.match_indices('/')
                .map(move |(i, _)| start + i)
                .chain(std::iter::once(folder.len()))
        })
        .filter(move |&end| end > start);
    std::iter::once(base).chain(ends.map(move |end| &folder[..end]))
}

fn is_yaml(file: &str) -> bool {
    file.ends_with(".yml") || file.ends_with(".yaml")
}

/// What a rule asks for, in a message: "no owner".
fn lack(rule: &str) -> &'static str {
    match rule {
        "missing-owner" => "no owner",
        "missing-cadence" => "no cadence",
        _ => "no failure behavior",
    }
}

/// The one finding for a group of at least two.
fn grouped(
    rule: &'static str,
    place: &Place,
    mut members: Vec<(Diagnostic, &Node)>,
    graph: &Graph,
    yaml: &mut YamlFiles,
) -> Diagnostic {
    let sources = yaml.sources;
    members.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    let nodes: Vec<String> = members.iter().map(|(_, n)| n.id.clone()).collect();
    let count = nodes.len();
    let mut named: Vec<String> = nodes
        .iter()
        .take(NAMED_IN_MESSAGE)
        .map(|n| format!("`{n}`"))
        .collect();
    if count > NAMED_IN_MESSAGE {
        named.push(format!("{} more", count - NAMED_IN_MESSAGE));
    }
    let (where_, anchor, help) = match place {
        Place::Dag(dag) => {
            let dag_node = graph.get(&format!("dag:{dag}")).map(|(_, n)| n);
            let anchor = dag_node
                .and_then(|n| n.span.clone())
                .or_else(|| first_span(&members));
            (format!("DAG `{dag}`"), anchor, dag_help(rule))
        }
        Place::SourceBlock(file, source) => (
            format!("source `{source}` ({file})"),
            source_entry(yaml, file, source).or_else(|| first_span(&members)),
            format!(
                "set a freshness once for the whole source, under `- name: {source}` in {file}:\n    loaded_at_field: <timestamp column>\n    freshness:\n      warn_after: {{count: 1, period: day}}\n(or `cadence = \"daily\"` on a [[source]] in pipeline.toml)"
            ),
        ),
        Place::DbtFolder(project, folder) => {
            let (anchor, help) = dbt_anchor(yaml, project, folder, rule, &members);
            (
                format!("`{}/`", display_folder(folder)),
                anchor.or_else(|| first_span(&members)),
                help,
            )
        }
        Place::ScriptFolder(folder) => (
            format!("`{}/`", display_folder(folder)),
            sources
                .get("pipeline.toml")
                .map(|_| Span::file_start(&Arc::from("pipeline.toml")))
                .or_else(|| first_span(&members)),
            script_help(rule, folder),
        ),
    };
    let severity = members
        .iter()
        .map(|(d, _)| d.severity)
        .max()
        .unwrap_or(Severity::Error);
    let what = match place {
        Place::Dag(dag) => {
            let tasks = members
                .iter()
                .filter(|(_, n)| n.kind != NodeKind::Dag)
                .count();
            if tasks < count {
                format!("DAG `{dag}` and {tasks} of its tasks")
            } else {
                format!("{tasks} tasks of DAG `{dag}`")
            }
        }
        Place::SourceBlock(_, source) => format!("{count} tables of source `{source}`"),
        _ => format!("{count} {} in {where_}", kinds_in_words(&members)),
    };
    let message = format!("{what} have {}: {}", lack(rule), join_names(&named));
    let mut d = Diagnostic::new(rule, message)
        .at(anchor)
        .help(help)
        .key(place.key());
    d.severity = severity;
    let mut by_place: Vec<&(Diagnostic, &Node)> = members.iter().collect();
    by_place.sort_by(|a, b| a.0.span.cmp(&b.0.span).then(a.1.id.cmp(&b.1.id)));
    for (m, n) in by_place {
        d = d.related(m.message.clone(), Some(n.id.clone()), m.span.clone());
    }
    d.nodes(nodes)
}

/// `a`, `b`, `c` and 4 more.
fn join_names(named: &[String]) -> String {
    match named {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn first_span(members: &[(Diagnostic, &Node)]) -> Option<Span> {
    members
        .iter()
        .filter_map(|(d, _)| d.span.clone())
        .min_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)))
}

/// "dbt models", or "nodes (800 dbt models, 22 sources)" for a mix.
fn kinds_in_words(members: &[(Diagnostic, &Node)]) -> String {
    let mut kinds: BTreeMap<NodeKind, usize> = BTreeMap::new();
    for (_, n) in members {
        *kinds.entry(n.kind).or_insert(0) += 1;
    }
    if kinds.len() == 1 {
        return kinds.keys().map(|k| format!("{}s", k.describe())).collect();
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{n} {}{}", k.describe(), if *n == 1 { "" } else { "s" }))
        .collect();
    format!("nodes ({})", parts.join(", "))
}

fn display_folder(folder: &str) -> &str {
    if folder.is_empty() {
        "."
    } else {
        folder
    }
}

fn dag_help(rule: &str) -> String {
    let line = match rule {
        "missing-owner" => "\"owner\": \"<team>\"",
        "missing-failure-behavior" => "\"retries\": 2",
        _ => return "set `schedule=` on the DAG (cron, preset, timedelta or Dataset/Asset list): its tasks run on it".to_string(),
    };
    format!("add it once to the DAG's default_args, which every task inherits:\n    default_args = {{{line}, ...}}")
}

fn script_help(rule: &str, folder: &str) -> String {
    let glob = if folder.is_empty() {
        "**/*.sql".to_string()
    } else {
        format!("{folder}/**")
    };
    let line = match rule {
        "missing-owner" => "owner = \"<team>\"",
        "missing-cadence" => "cadence = \"daily\"",
        _ => "on_failure = \"retry(2)\"",
    };
    let mut help = format!("add to pipeline.toml:\n    [paths.\"{glob}\"]\n    {line}");
    if rule == "missing-owner" {
        help.push_str(&format!(
            "\n(or a CODEOWNERS line `/{}/ @team`)",
            display_folder(folder)
        ));
    } else {
        help.push_str("\nor declare what runs them: a [[task]] with `runs = [\"<path>\"]`, `cadence` and `on_failure`");
    }
    help
}

/// The YAML files groups are anchored in, each parsed once however many
/// groups it anchors (a `dbt_project.yml` anchors every folder group): all
/// of them up front, in parallel (see [`group`]).
struct YamlFiles<'s> {
    sources: &'s SourceMap,
    parse_yaml: &'s ParseYaml<'s>,
    parsed: HashMap<Arc<str>, Option<Arc<yaml::YNode>>>,
}

/// Parses the YAML text of a file (`None`: it does not parse); a caller
/// that runs many checks may give back what it parsed of the same text
/// before (see [`parse_yaml`]).
pub type ParseYaml<'a> = dyn Fn(&Arc<str>, &str) -> Option<Arc<yaml::YNode>> + Sync + 'a;

/// [`ParseYaml`] by parsing every time.
pub fn parse_yaml(_file: &Arc<str>, text: &str) -> Option<Arc<yaml::YNode>> {
    yaml::parse(text).ok().map(Arc::new)
}

impl YamlFiles<'_> {
    /// The parsed file; `None` when it is unknown or does not parse.
    fn get(&mut self, file: &Arc<str>) -> Option<&yaml::YNode> {
        let (sources, parse_yaml) = (self.sources, self.parse_yaml);
        self.parsed
            .entry(file.clone())
            .or_insert_with(|| sources.get(file).and_then(|t| parse_yaml(file, &t)))
            .as_deref()
    }
}

/// The `- name: <source>` entry of a schema file.
fn source_entry(yaml: &mut YamlFiles, file: &Arc<str>, source: &str) -> Option<Span> {
    let root = yaml.get(file)?;
    root.get("sources")?
        .items()
        .iter()
        .find(|s| s.get("name").and_then(|n| n.as_str()) == Some(source))
        .and_then(|s| s.key_node("name"))
        .map(|n| n.span(file))
}

/// The `dbt_project.yml` of the project in folder `project`.
fn project_file(project: &str) -> Arc<str> {
    Arc::from(if project.is_empty() {
        "dbt_project.yml".to_string()
    } else {
        format!("{project}/dbt_project.yml")
    })
}

/// The anchor and help for a dbt folder group: the deepest existing entry of
/// the folder under `models:` (or `seeds:`, `snapshots:`, `sources:`) in
/// `dbt_project.yml`, and the exact lines that fix the group.
fn dbt_anchor(
    yaml: &mut YamlFiles,
    project: &str,
    folder: &str,
    rule: &str,
    members: &[(Diagnostic, &Node)],
) -> (Option<Span>, String) {
    let section = match members.iter().map(|(_, n)| n.kind).next() {
        Some(NodeKind::Job(JobKind::Seed)) => "seeds",
        Some(NodeKind::Job(JobKind::Snapshot)) => "snapshots",
        Some(NodeKind::Source) => "sources",
        _ => "models",
    };
    let file = project_file(project);
    let inner = folder
        .strip_prefix(project)
        .unwrap_or(folder)
        .trim_start_matches('/');
    // The first folder is the model path itself (`models/`); dbt's config
    // tree starts below it.
    let parts: Vec<&str> = inner.split('/').filter(|p| !p.is_empty()).skip(1).collect();
    let root = yaml.get(&file);
    let name = root
        .as_ref()
        .and_then(|r| r.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("<project>")
        .to_string();
    let mut anchor = root.as_ref().map(|_| Span::file_start(&file));
    if let Some(root) = &root {
        if let Some(key) = root.key_node(section) {
            anchor = Some(key.span(&file));
            let mut node = root.get(section).and_then(|s| s.get(&name).map(|v| (s, v)));
            if let Some((s, _)) = node {
                if let Some(k) = s.key_node(&name) {
                    anchor = Some(k.span(&file));
                }
            }
            for part in &parts {
                let Some((_, cur)) = node else { break };
                match (cur.key_node(part), cur.get(part)) {
                    (Some(k), Some(v)) => {
                        anchor = Some(k.span(&file));
                        node = Some((cur, v));
                    }
                    _ => break,
                }
            }
        }
    }
    let setting = match rule {
        "missing-owner" => "+meta:\n{i}  owner: \"<team>\"",
        "missing-cadence" => "+freshness:\n{i}  warn_after: {count: 1, period: day}",
        _ => "+meta:\n{i}  on_failure: \"retry(2)\"",
    };
    let mut lines = format!("    {section}:\n      {name}:\n");
    let mut indent = "      ".to_string();
    for part in &parts {
        indent.push_str("  ");
        lines.push_str(&format!("{indent}{part}:\n"));
    }
    indent.push_str("  ");
    lines.push_str(&indent);
    lines.push_str(&setting.replace("{i}", &indent));
    let mut help = format!("add once to {file}, which every node below inherits:\n{lines}");
    let mut others: Vec<&str> = members
        .iter()
        .map(|(_, n)| match n.kind {
            NodeKind::Job(JobKind::Seed) => "seeds",
            NodeKind::Job(JobKind::Snapshot) => "snapshots",
            NodeKind::Source => "sources",
            _ => "models",
        })
        .filter(|s| *s != section)
        .collect();
    others.sort_unstable();
    others.dedup();
    if !others.is_empty() {
        let list: Vec<String> = others.iter().map(|s| format!("`{s}:`")).collect();
        help.push_str(&format!(
            "\n(the same block under {} covers the group's other nodes)",
            list.join(", ")
        ));
    }
    if rule == "missing-owner" {
        help.push_str(&format!(
            "\n(or `[paths.\"{folder}/**\"] owner = \"<team>\"` in pipeline.toml, or a CODEOWNERS line `/{folder}/ @team`)"
        ));
    }
    (anchor, help)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_base_down() {
        let got: Vec<&str> = ancestors("dbt", "dbt/models/a").collect();
        assert_eq!(got, ["dbt", "dbt/models", "dbt/models/a"]);
        let got: Vec<&str> = ancestors("", "sql/x").collect();
        assert_eq!(got, ["", "sql", "sql/x"]);
        let got: Vec<&str> = ancestors("", "").collect();
        assert_eq!(got, [""]);
        let got: Vec<&str> = ancestors("dbt", "dbt").collect();
        assert_eq!(got, ["dbt"]);
        let got: Vec<&str> = ancestors("dbt", "dbtx/models").collect();
        assert_eq!(got, ["dbt"]);
        let got: Vec<&str> = ancestors("dbt", "other").collect();
        assert_eq!(got, ["dbt"]);
    }

    #[test]
    fn names_a_few_nodes() {
        let named = vec!["`a`".to_string(), "`b`".to_string(), "2 more".to_string()];
        assert_eq!(join_names(&named), "`a`, `b` and 2 more");
    }
}
