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
struct GraphArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Json)]
    format: GraphFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// `{"nodes":[…],"edges":[…]}`, sorted.
    Json,
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
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("pipelint: {message}");
            ExitCode::from(2)
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
        Command::Graph(args) => {
            let analysis = analyze(&args.common)?;
            match args.format {
                GraphFormat::Json => print(&report::graph_json::render(&analysis.graph))?,
            }
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
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(common.threads.unwrap_or(0))
        .stack_size(16 * 1024 * 1024)
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let analysis = pool
        .install(|| check::run(root, &options))
        .map_err(|e| e.to_string())?;
    for note in &analysis.notes {
        eprintln!("pipelint: {}", report::terminal::sanitize(note));
    }
    Ok(analysis)
}

/// `pipelint check`: analyze (against a baseline or a merge base), then
/// write a baseline, add allows, or report.
fn check_command(args: &CheckArgs) -> Result<ExitCode, String> {
    let a = &args.adoption;
    let mut options = options(&args.common);
    if let Some(path) = &a.write_baseline {
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
                let options = Options {
                    root: Some(tree.to_path_buf()),
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
    let analysis = analyze_with(&args.common, options)?;
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
        Format::Human => {
            let color = a.output_file.is_none()
                && !args.no_color
                && std::env::var_os("NO_COLOR").is_none()
                && std::io::stdout().is_terminal();
            report::human::render(
                &analysis,
                &report::human::HumanOptions {
                    color,
                    quiet: args.quiet,
                    statistics: a.statistics,
                    note: (!notes.is_empty()).then(|| notes.join("\n")),
                },
            )
        }
    };
    if args.format != Format::Human {
        for note in &notes {
            eprintln!("pipelint: {note}");
        }
    }
    match &a.output_file {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print(&text)?,
    }
    Ok(if !a.exit_zero && analysis.fails(args.fail_on.severity()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
