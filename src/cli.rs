//! The command line: arguments in, exit code out.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::{self, Options};
use crate::diagnostic::Severity;
use crate::report::{self, Format};
use crate::rules;

/// An architecture linter for data-pipeline repositories.
///
/// pipelint reads Airflow DAG files, dbt projects, plain SQL and a
/// `pipeline.toml` manifest, joins them into one graph (sources → raw →
/// curated → serving → consumers) and checks it: no cycles, an owner, a
/// cadence and a failure behavior on everything, one extract per source,
/// consumers reading curated or serving data — never raw. It never runs the
/// code it reads.
#[derive(Debug, Parser)]
#[command(name = "pipelint", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a repo and report findings (exit 1 when any is at or above --fail-on).
    Check(CheckArgs),
    /// Print the resolved graph (nodes and edges), to see what was extracted.
    Graph(GraphArgs),
    /// What a change reaches: everything downstream of some nodes, with owners and cadences.
    Impact(ImpactArgs),
    /// Architecture metrics of a repo: layering, coverage, DAG boundaries, ETL vs ELT.
    Metrics(MetricsArgs),
    /// Audit many repos in parallel: one table, a row per repo (or `audit merge` shard outputs).
    Audit(AuditArgs),
    /// The language server: findings in the editor as you type (LSP over
    /// stdin/stdout; the editor's workspace folder is checked, else PATH).
    Server(ServerArgs),
    /// List every rule: code, slug, default severity, summary.
    Rules,
    /// Explain a rule: what it flags, why, examples, how to fix or allow it.
    Explain {
        /// A rule slug (`consumer-reads-raw`) or code (`PL401`).
        rule: String,
    },
}

#[derive(Debug, Args)]
struct Common {
    /// The repo, or a folder of it, to check (findings inside it are reported).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The repo root, which output paths are relative to (default: the git
    /// root of PATH, else PATH).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The config file (default: the nearest `pipeline.toml` from PATH up to the root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only run these rules: slugs, codes or code prefixes (`PL4`), comma-separated.
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Do not run these rules: slugs, codes or code prefixes, comma-separated.
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Also report findings inside installed dbt packages.
    #[arg(long)]
    include_packages: bool,
    /// Read dbt projects from their `target/manifest.json` (written by `dbt
    /// parse`) where it exists, instead of rendering their templates.
    #[arg(long)]
    dbt_manifest: bool,
    /// Worker threads (default: one per core). Output is the same for any count.
    #[arg(long)]
    threads: Option<usize>,
    /// Keep parsed facts in this folder, reused while files are unchanged
    /// [default: $PIPELINT_CACHE_DIR, else $XDG_CACHE_HOME/pipelint or
    /// ~/.cache/pipelint; off when CI is set].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Parse every file afresh, reading and writing no cache.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Per-file work limits (see `crate::limits`): raisable here, on the
/// command line, and never from the repo's own `pipeline.toml`.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Limits (per file; a file over one is a parse-error naming it)")]
struct LimitArgs {
    /// Largest file read, in bytes [default: 16777216].
    #[arg(long, value_name = "BYTES")]
    max_file_bytes: Option<u64>,
    /// Most statements in one SQL file [default: 250000].
    #[arg(long, value_name = "N")]
    max_statements: Option<usize>,
    /// Most tokens in one SQL statement; a Python file gets one parse step per 20 [default: 2000000].
    #[arg(long, value_name = "N")]
    max_nodes: Option<usize>,
    /// Deepest nesting of SQL expressions and YAML collections; SQL operator chains may be 16 times longer [default: 64].
    #[arg(long, value_name = "N")]
    max_depth: Option<usize>,
    /// Template steps one dbt model's render may take [default: 2000000].
    #[arg(long, value_name = "N")]
    render_fuel: Option<u64>,
}

impl LimitArgs {
    fn limits(&self) -> crate::limits::Limits {
        let d = crate::limits::DEFAULT;
        crate::limits::Limits {
            file_bytes: self.max_file_bytes.unwrap_or(d.file_bytes),
            statements: self.max_statements.unwrap_or(d.statements),
            nodes: self.max_nodes.unwrap_or(d.nodes),
            depth: self.max_depth.unwrap_or(d.depth),
            render_fuel: self.render_fuel.unwrap_or(d.render_fuel),
        }
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The lowest severity that makes the run fail (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Plain output without colors (also when NO_COLOR is set or output is not a terminal).
    #[arg(long)]
    no_color: bool,
    /// One line per finding and the one-line totals: no code frames, no table.
    #[arg(long, short)]
    quiet: bool,
    /// Check, then re-check on every file change, printing only the findings
    /// that appeared and those gone, and a summary line (human format only;
    /// Ctrl-C stops, exit 0).
    #[arg(long, conflicts_with_all = ["write_baseline", "add_allow", "output_file"])]
    watch: bool,
    #[command(flatten)]
    adoption: AdoptionArgs,
}

/// Flags for adopting pipelint on a repo that has findings already (see the
/// README's "Adopting on an existing repo").
#[derive(Debug, Args)]
struct AdoptionArgs {
    /// Write the report to FILE instead of stdout (any format).
    #[arg(long, short = 'o', value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Report, but always exit 0 when the check could run.
    #[arg(long)]
    exit_zero: bool,
    /// Print only the per-rule table (code, rule, severity, count) and the totals.
    #[arg(long)]
    statistics: bool,
    /// Report only findings not recorded in this baseline file (default:
    /// `baseline` in `[project]` of pipeline.toml).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record today's findings in FILE (sorted JSON) and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["baseline", "changed_since", "add_allow"])]
    write_baseline: Option<PathBuf>,
    /// Report only findings that are new relative to the merge base with REF
    /// (a branch, tag or commit): the working tree is compared with that
    /// commit's tree, read from git objects.
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,
    /// Write an inline `pipelint: allow[rule] REASON` at each finding reported
    /// (an `[[allow]]` entry in pipeline.toml where a comment cannot go), and exit 0.
    #[arg(long, value_name = "REASON")]
    add_allow: Option<String>,
}

#[derive(Debug, Args)]
struct ServerArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct GraphArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Json)]
    format: GraphFormat,
    #[command(flatten)]
    view: ViewArgs,
}

/// What part of the graph a diagram shows.
#[derive(Debug, Args)]
struct ViewArgs {
    /// Show only these nodes (ids or unique names) and what is around them.
    #[arg(long, value_delimiter = ',')]
    focus: Vec<String>,
    /// With --focus: how many hops upstream to show (default: all).
    #[arg(long, value_name = "N")]
    upstream: Option<usize>,
    /// With --focus: how many hops downstream to show (default: all).
    #[arg(long, value_name = "N")]
    downstream: Option<usize>,
    /// One box per DAG, folder or dbt project, with edge counts.
    #[arg(long, value_enum)]
    collapse: Option<crate::view::Collapse>,
}

impl ViewArgs {
    fn options(&self, max_edges: Option<(usize, &'static str)>) -> crate::view::ViewOptions {
        crate::view::ViewOptions {
            focus: self.focus.clone(),
            upstream: self.upstream,
            downstream: self.downstream,
            collapse: self.collapse,
            max_edges,
        }
    }

    fn is_whole_graph(&self) -> bool {
        self.focus.is_empty() && self.collapse.is_none()
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// `{"nodes":[…],"edges":[…]}`, sorted (the view's boxes and arrows
    /// with --focus or --collapse).
    Json,
    /// A Mermaid flowchart (left to right, a subgraph per layer).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A standalone SVG laid out by pipelint.
    Svg,
    /// One self-contained HTML page: pannable, searchable diagram.
    Html,
}

#[derive(Debug, Args)]
struct ImpactArgs {
    /// The changed nodes: ids (`dataset:raw.orders`) or unique names (`raw.orders`).
    #[arg(required_unless_present = "changed_since")]
    nodes: Vec<String>,
    /// Also every node defined in a file changed since the merge base with
    /// REF (committed, staged, unstaged and untracked changes).
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,
    /// The repo (or a folder inside it).
    #[arg(short = 'C', long = "path", default_value = ".")]
    path: PathBuf,
    /// The repo root (default: the git root of the path, else the path).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ImpactFormat::Table)]
    format: ImpactFormat,
    /// Read dbt projects from their `target/manifest.json` where it exists.
    #[arg(long)]
    dbt_manifest: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ImpactFormat {
    /// Everything reached, one row each.
    Table,
    /// `{"changed":[…],"reached":[…],"sources":[…]}`.
    Json,
    /// A Mermaid flowchart of the changed nodes and their downstream.
    Mermaid,
    /// A pull-request comment: the consumers reached, then the table.
    Markdown,
}

#[derive(Debug, Args)]
struct MetricsArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MetricsFormat::Table)]
    format: MetricsFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MetricsFormat {
    /// One metric a line.
    Table,
    /// The metrics as one JSON object.
    Json,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct AuditArgs {
    #[command(subcommand)]
    merge: Option<AuditCommand>,
    /// The repos to audit.
    repos: Vec<PathBuf>,
    /// A file listing repos, one path a line (relative to the file; `#` comments).
    #[arg(long, value_name = "FILE")]
    repos_file: Option<PathBuf>,
    /// Only the K-th of N slices of the repo list (1-based), by a hash of each repo's name.
    #[arg(long, value_name = "K/N")]
    shard: Option<crate::audit::Shard>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    format: AuditFormat,
    /// Read dbt projects from their `target/manifest.json` where it exists.
    #[arg(long)]
    dbt_manifest: bool,
    /// Worker threads (default: one per core). Output is the same for any count.
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Join the JSON outputs of sharded audits into one table.
    Merge {
        /// `audit --format json` outputs.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
        format: AuditFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuditFormat {
    /// A terminal table.
    Table,
    /// A Markdown table.
    Markdown,
    /// JSON (with each repo's diagram), for `audit merge`.
    Json,
    /// CSV.
    Csv,
    /// A self-contained page: sortable table and each repo's diagram.
    Html,
}

fn render_audit(report: &crate::audit::Report, format: AuditFormat) -> String {
    match format {
        AuditFormat::Table => report::audit::text(report),
        AuditFormat::Markdown => report::audit::markdown(report),
        AuditFormat::Json => report::audit::json(report),
        AuditFormat::Csv => report::audit::csv(report),
        AuditFormat::Html => report::audit::html(report),
    }
}

fn audit(args: AuditArgs) -> Result<ExitCode, String> {
    if let Some(AuditCommand::Merge { files, format }) = args.merge {
        let mut reports = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            reports.push(
                serde_json::from_str(&text)
                    .map_err(|e| format!("{} is not an audit JSON output: {e}", f.display()))?,
            );
        }
        print(&render_audit(&crate::audit::merge(reports)?, format))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut repos = args.repos.clone();
    if let Some(file) = &args.repos_file {
        repos.extend(crate::audit::read_repos_file(file)?);
    }
    if repos.is_empty() {
        return Err("no repos to audit: give folders or --repos-file".into());
    }
    let options = crate::audit::AuditOptions {
        check: Options {
            dbt_manifest: args.dbt_manifest,
            ..Options::default()
        },
        shard: args.shard,
        diagrams: matches!(args.format, AuditFormat::Json | AuditFormat::Html),
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(crate::audit::shard_len(&repos, args.shard) as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} repos {elapsed}")
        {
            bar.set_style(style);
        }
        bar
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .stack_size(16 * 1024 * 1024)
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let done = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let found = pool.install(|| crate::audit::run(&repos, &options, &done));
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    print(&render_audit(&found, args.format))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    #[value(alias = "warning")]
    Warn,
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warn => Severity::Warn,
            FailOn::Info => Severity::Info,
        }
    }
}

/// Runs the command line and returns the process exit code: 0 clean, 1
/// findings at or above `--fail-on`, 2 the tool could not run.
/// `long_lived` is called first when the command checks again and again
/// (the language server, `check --watch`): the binary tunes its allocator
/// for that there.
pub fn main_with(long_lived: fn()) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if cli.command.is_long_lived() {
        long_lived();
    }
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("pipelint: {message}");
            ExitCode::from(2)
        }
    }
}

impl Command {
    /// Whether the command checks again and again until it is stopped.
    fn is_long_lived(&self) -> bool {
        match self {
            Command::Server(_) => true,
            Command::Check(args) => args.watch,
            _ => false,
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Rules => {
            let mut out = String::from("code   slug                        default  summary\n");
            for m in rules::all() {
                out.push_str(&format!(
                    "{:<6} {:<27} {:<8} {}\n",
                    m.code,
                    m.slug,
                    m.default_severity.as_str(),
                    m.summary
                ));
            }
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(m) => {
                print(m.doc)?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                let hint = crate::suggest::closest(&rule, rules::all().iter().map(|m| m.slug))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                Err(format!(
                    "unknown rule `{rule}`{hint}; `pipelint rules` lists them"
                ))
            }
        },
        Command::Check(args) => check_command(&args),
        Command::Server(args) => {
            crate::limits::set(args.common.limits.limits());
            let clean = crate::server::run(
                args.common.path.clone(),
                options(&args.common),
                args.common.threads,
            )?;
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Audit(args) => audit(args),
        Command::Metrics(args) => {
            let analysis = analyze(&args.common)?;
            let m = crate::metrics::compute(&analysis.graph);
            print(&match args.format {
                MetricsFormat::Table => report::metrics::text(&m),
                MetricsFormat::Json => report::metrics::json(&m),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Impact(args) => {
            let common = Common {
                path: args.path.clone(),
                select: Vec::new(),
                ignore: Vec::new(),
                include_packages: false,
                dbt_manifest: args.dbt_manifest,
                threads: None,
                root: args.root.clone(),
                config: None,
                cache_dir: None,
                no_cache: false,
                limits: LimitArgs::default(),
            };
            let analysis = analyze(&common)?;
            let graph = &analysis.graph;
            let mut changed = args
                .nodes
                .iter()
                .map(|n| crate::graph::resolve(graph, n))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(reference) = &args.changed_since {
                let repo = crate::git::Repo::discover(&analysis.root)?;
                let base = repo.merge_base(reference)?;
                let files = repo.changed_files(&base)?;
                changed.extend(crate::impact::defined_in(graph, &files));
                changed.sort();
                changed.dedup();
            }
            let found = crate::impact::impact(graph, &changed);
            print(&match args.format {
                ImpactFormat::Table => report::impact::text(&found),
                ImpactFormat::Json => report::impact::json(&found),
                ImpactFormat::Markdown => report::impact::markdown(&found),
                ImpactFormat::Mermaid => {
                    let options = crate::view::ViewOptions {
                        focus: found.changed.clone(),
                        upstream: Some(0),
                        downstream: None,
                        collapse: None,
                        max_edges: Some((report::diagram::mermaid::MAX_EDGES, "Mermaid")),
                    };
                    report::diagram::mermaid::render(&crate::view::build(&analysis, &options)?)
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph(args) => {
            let analysis = analyze(&args.common)?;
            if matches!(args.format, GraphFormat::Json) && args.view.is_whole_graph() {
                print(&report::graph_json::render(&analysis.graph))?;
                return Ok(ExitCode::SUCCESS);
            }
            use report::diagram;
            let max_edges = match args.format {
                GraphFormat::Mermaid => Some((diagram::mermaid::MAX_EDGES, "Mermaid")),
                GraphFormat::Dot => Some((diagram::dot::MAX_EDGES, "Graphviz")),
                GraphFormat::Svg | GraphFormat::Html => Some((diagram::svg::MAX_EDGES, "the page")),
                GraphFormat::Json => None,
            };
            let view = crate::view::build(&analysis, &args.view.options(max_edges))?;
            for note in &view.notes {
                eprintln!("pipelint: {}", report::terminal::safe_line(note));
            }
            let title = format!("pipelint graph: {}", repo_name(&args.common.path));
            print(&match args.format {
                GraphFormat::Json => diagram::json(&view),
                GraphFormat::Mermaid => diagram::mermaid::render(&view),
                GraphFormat::Dot => diagram::dot::render(&view),
                GraphFormat::Svg => diagram::svg::render(&view),
                GraphFormat::Html => diagram::html::render(&view, &title),
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn options(common: &Common) -> Options {
    Options {
        select: common.select.clone(),
        ignore: common.ignore.clone(),
        include_packages: common.include_packages,
        dbt_manifest: common.dbt_manifest,
        root: common.root.clone(),
        config: common.config.clone(),
        cache: match crate::cache::disk::folder(common.cache_dir.as_deref(), common.no_cache) {
            Some(folder) => check::CacheUse::Folder(folder),
            None => check::CacheUse::Off,
        },
        ..Options::default()
    }
}

fn analyze(common: &Common) -> Result<check::Analysis, String> {
    analyze_with(common, options(common))
}

fn analyze_with(common: &Common, options: Options) -> Result<check::Analysis, String> {
    analyze_at(common, &common.path, options)
}

/// Analyzes the tree at `root` (the repo, or the merge base's tree).
fn analyze_at(
    common: &Common,
    root: &std::path::Path,
    options: Options,
) -> Result<check::Analysis, String> {
    let pool = workers(common)?;
    let analysis = pool
        .install(|| check::run(root, &options))
        .map_err(|e| e.to_string())?;
    print_notes(&analysis);
    Ok(analysis)
}

/// The worker threads of a run (16 MB stacks: parsers recurse), with the
/// run's limits set.
fn workers(common: &Common) -> Result<rayon::ThreadPool, String> {
    crate::limits::set(common.limits.limits());
    rayon::ThreadPoolBuilder::new()
        .num_threads(common.threads.unwrap_or(0))
        .stack_size(16 * 1024 * 1024)
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))
}

fn print_notes(analysis: &check::Analysis) {
    for line in note_lines(&analysis.notes) {
        eprintln!("{line}");
    }
}

/// Notes as printed on stderr.
fn note_lines(notes: &[String]) -> Vec<String> {
    notes
        .iter()
        .map(|n| format!("pipelint: {}", report::terminal::sanitize(n)))
        .collect()
}

/// A check that may be replayed (see [`crate::cache::replay`]): the
/// probe taken before it and the file its record goes in.
struct Replayable {
    probe: crate::cache::replay::Probe,
    file: std::path::PathBuf,
}

/// What a check's output depends on besides the files: the command line,
/// the folder it runs in, colour, and the environment variables reports
/// read.
fn replay_key(color: bool) -> crate::cache::Hash {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    let vars: Vec<(String, String)> = ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"]
        .iter()
        .map(|v| (v.to_string(), std::env::var(v).unwrap_or_default()))
        .collect();
    let vars = format!("{vars:?}");
    crate::cache::hash_parts(args.iter().map(|a| a.as_encoded_bytes()).chain([
        cwd.as_os_str().as_encoded_bytes(),
        &[u8::from(color)][..],
        vars.as_bytes(),
    ]))
}

/// `pipelint check`: analyze (against a baseline or a merge base), then
/// write a baseline, add allows, or report.
fn check_command(args: &CheckArgs) -> Result<ExitCode, String> {
    let a = &args.adoption;
    let mut options = options(&args.common);
    // Watching starts before the first check, so no change made during it is missed.
    let watch = args.watch.then(|| start_watch(args)).transpose()?;
    if let Some(path) = &a.write_baseline {
        let options = Options {
            record: true,
            ..options
        };
        let analysis = analyze_with(&args.common, options)?;
        std::fs::write(path, crate::baseline::render(&analysis.recorded))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "pipelint: recorded {} finding{} in {}",
            analysis.recorded.len(),
            if analysis.recorded.len() == 1 {
                ""
            } else {
                "s"
            },
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut notes = Vec::new();
    let mut known = crate::baseline::Known::default();
    let mut compared = false;
    match &a.baseline {
        Some(path) => {
            let entries = crate::baseline::read(path)?;
            known.add(entries.iter().map(|e| e.fingerprint.as_str()));
            compared = true;
        }
        None => options.project_baseline = true,
    }
    if let Some(reference) = &a.changed_since {
        let base =
            crate::changed_since::base_findings(&args.common.path, reference, |tree, path| {
                // The merge base is a temporary tree: a cache of it would
                // be one more folder per run, never reused.
                let options = Options {
                    root: Some(tree.to_path_buf()),
                    cache: check::CacheUse::Off,
                    record: true,
                    ..self::options(&args.common)
                };
                analyze_at(&args.common, path, options)
            })?;
        known.add(base.iter().map(|e| e.fingerprint.as_str()));
        compared = true;
    }
    if compared {
        options.known = Some(known);
    }
    let color = a.output_file.is_none()
        && !args.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::stdout().is_terminal();
    // A plain report with the cache on may be the last one again.
    let folder = match &options.cache {
        check::CacheUse::Folder(folder) if watch.is_none() && a.add_allow.is_none() => {
            Some(folder.clone()).filter(|_| a.changed_since.is_none())
        }
        _ => None,
    };
    let (analysis, replayable) = match folder {
        Some(folder) => {
            let pool = workers(&args.common)?;
            let found = pool
                .install(|| check::find(&args.common.path, &options))
                .map_err(|e| e.to_string())?;
            let root = &found.workspace.root;
            // What a dbt project lists beyond the discovered paths: its
            // folder (a packages folder made there), installed packages,
            // and with --dbt-manifest its target folder.
            let folders: Vec<std::path::PathBuf> = found
                .discovery
                .dbt_projects
                .iter()
                .flat_map(|p| {
                    let mut dirs = vec![p.path.clone(), p.path.join("dbt_packages")];
                    dirs.push(p.path.join("dbt_modules"));
                    if options.dbt_manifest {
                        dirs.push(p.path.join("target"));
                    }
                    dirs
                })
                .collect();
            let probe = pool.install(|| {
                crate::cache::replay::Probe::take(
                    replay_key(color),
                    root,
                    &found.discovery.all_paths,
                    &folders,
                )
            });
            let file =
                crate::cache::replay::file_beside(&crate::cache::disk::file_for(&folder, root));
            if let Some(record) = probe.replay(&file) {
                if std::env::var_os("PIPELINT_TIMINGS").is_some() {
                    eprintln!("pipelint: replayed the last check: nothing it read has changed");
                }
                for line in &record.stderr {
                    eprintln!("{line}");
                }
                output(a.output_file.as_deref(), &record.stdout)?;
                return Ok(ExitCode::from(record.exit));
            }
            let options = Options {
                stamps: Some(probe.stamps()),
                ..options.clone()
            };
            let analysis = pool.install(|| check::resume(&args.common.path, found, &options));
            print_notes(&analysis);
            (analysis, Some(Replayable { probe, file }))
        }
        None => (analyze_with(&args.common, options.clone())?, None),
    };
    if let Some(outcome) = analysis.known {
        if a.changed_since.is_some() {
            notes.push(format!(
                "{} finding{} already present at the merge base not shown; {} fixed since",
                outcome.matched,
                if outcome.matched == 1 { "" } else { "s" },
                outcome.fixed
            ));
        } else if outcome.fixed > 0 {
            notes.push(format!(
                "{} baselined finding{} fixed: run --write-baseline to shrink the file",
                outcome.fixed,
                if outcome.fixed == 1 { " is" } else { "s are" }
            ));
        }
    }
    if let Some(reason) = &a.add_allow {
        let done = crate::add_allow::apply(&analysis, reason)?;
        eprintln!("pipelint: {done}");
        return Ok(ExitCode::SUCCESS);
    }
    let text = match args.format {
        Format::Json => report::json::render(&analysis),
        Format::Sarif => report::sarif::render(&analysis),
        Format::Github => report::github::render(&analysis),
        Format::Markdown => {
            report::markdown::render(&analysis, &report::markdown::MarkdownOptions::from_env())
        }
        Format::Gitlab => report::gitlab::render(&analysis),
        Format::Junit => report::junit::render(&analysis),
        Format::Human => report::human::render(
            &analysis,
            &report::human::HumanOptions {
                color,
                quiet: args.quiet,
                statistics: a.statistics,
                note: (!notes.is_empty()).then(|| notes.join("\n")),
            },
        ),
    };
    let stderr = if args.format == Format::Human {
        Vec::new()
    } else {
        notes.iter().map(|n| format!("pipelint: {n}")).collect()
    };
    for line in &stderr {
        eprintln!("{line}");
    }
    output(a.output_file.as_deref(), &text)?;
    let exit = u8::from(!a.exit_zero && analysis.fails(args.fail_on.severity()));
    if let Some(Replayable { probe, file }) = replayable {
        // Notes about the run itself (an unreadable cache, say) are not
        // the check's output: such a run is not recorded.
        if analysis.notes.is_empty() {
            let read = replay_inputs(&analysis, a.baseline.as_deref(), &options);
            if let Some(record) = probe.record(&analysis.root, read, text, stderr, exit) {
                if let Err(why) = crate::cache::replay::save(&file, &record) {
                    eprintln!("pipelint: {}", report::terminal::sanitize(&why));
                }
            }
        }
    }
    if let Some(watch) = watch {
        eprintln!(
            "pipelint: watching {} for changes (Ctrl-C to stop)",
            report::terminal::sanitize(&watch.root().display().to_string())
        );
        let note = |n: &str| eprintln!("pipelint: {}", report::terminal::sanitize(n));
        let check = || analyze_with(&args.common, options.clone());
        watch.run(&analysis, check, print, note, color)?;
        return Ok(ExitCode::SUCCESS);
    }
    // The process ends now (`check_command` runs once, from `main`): its
    // memory goes back to the system whole, so the analysis, tens of
    // megabytes in small pieces, is not freed piece by piece.
    std::mem::forget(analysis);
    Ok(ExitCode::from(exit))
}

/// Prints a report, or writes it to `--output-file`.
fn output(file: Option<&std::path::Path>, text: &str) -> Result<(), String> {
    match file {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => print(text),
    }
}

/// The files a check read besides those discovered: every file in its
/// sources, the config named outside the repo, and the baselines.
fn replay_inputs(
    analysis: &check::Analysis,
    baseline: Option<&std::path::Path>,
    options: &Options,
) -> Vec<std::path::PathBuf> {
    let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let sources = analysis.context.sources.files();
    let sources = sources
        .iter()
        .map(|rel| std::path::PathBuf::from(rel.as_ref()));
    let project_baseline = options
        .project_baseline
        .then_some(analysis.manifest.project.baseline.as_ref())
        .flatten()
        .map(|file| analysis.root.join(&file.value));
    sources
        .chain(options.config.as_deref().map(absolute))
        .chain(baseline.map(absolute))
        .chain(project_baseline)
        .collect()
}

/// Starts `--watch` on the repo root of the checked path, refusing machine
/// formats: a stream of changes has no place in a JSON or SARIF document.
fn start_watch(args: &CheckArgs) -> Result<crate::watch::Watch, String> {
    if args.format != Format::Human {
        return Err(format!(
            "--watch prints the human format only; run `pipelint check --format {}` once per change instead",
            args.format
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default()
        ));
    }
    let c = &args.common;
    let workspace =
        crate::workspace::Workspace::locate(&c.path, c.root.as_deref(), c.config.as_deref())
            .map_err(|why| format!("cannot check {}: {why}", c.path.display()))?;
    let cache = crate::cache::disk::folder(c.cache_dir.as_deref(), c.no_cache);
    crate::watch::Watch::start(&workspace.root, cache.as_deref())
}

/// The name of a repo for titles: its folder's name (never its absolute path).
fn repo_name(root: &std::path::Path) -> String {
    let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn print(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write output: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary tunes its allocator for the commands that check until
    /// stopped, and for no other.
    #[test]
    fn only_the_server_and_watch_are_long_lived() {
        let long_lived = |args: &[&str]| {
            Cli::try_parse_from(args)
                .map(|cli| cli.command.is_long_lived())
                .map_err(|e| e.to_string())
        };
        assert_eq!(long_lived(&["pipelint", "server"]), Ok(true));
        assert_eq!(long_lived(&["pipelint", "check", "--watch"]), Ok(true));
        assert_eq!(long_lived(&["pipelint", "check"]), Ok(false));
        assert_eq!(long_lived(&["pipelint", "rules"]), Ok(false));
    }
}
