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
    #[command(flatten)]
    limits: LimitArgs,
}

/// Per-file work limits (see `crate::limits`): raisable here, on the
/// command line, and never from the repo's own `pipeline.toml`.
#[derive(Debug, Args)]
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
    /// One line per finding: no code frames, no summary.
    #[arg(long, short)]
    quiet: bool,
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
        Command::Check(args) => {
            let analysis = analyze(&args.common)?;
            let text = match args.format {
                Format::Json => report::json::render(&analysis),
                Format::Sarif => report::sarif::render(&analysis),
                Format::Github => report::github::render(&analysis),
                Format::Human => {
                    let color = !args.no_color
                        && std::env::var_os("NO_COLOR").is_none()
                        && std::io::stdout().is_terminal();
                    report::human::render(
                        &analysis,
                        report::human::HumanOptions {
                            color,
                            quiet: args.quiet,
                        },
                    )
                }
            };
            print(&text)?;
            Ok(if analysis.fails(args.fail_on.severity()) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Graph(args) => {
            let analysis = analyze(&args.common)?;
            match args.format {
                GraphFormat::Json => print(&report::graph_json::render(&analysis.graph))?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn analyze(common: &Common) -> Result<check::Analysis, String> {
    let options = Options {
        select: common.select.clone(),
        ignore: common.ignore.clone(),
        include_packages: common.include_packages,
        dbt_manifest: common.dbt_manifest,
        root: common.root.clone(),
        config: common.config.clone(),
    };
    crate::limits::set(common.limits.limits());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(common.threads.unwrap_or(0))
        .stack_size(16 * 1024 * 1024)
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let analysis = pool
        .install(|| check::run(&common.path, &options))
        .map_err(|e| e.to_string())?;
    for note in &analysis.notes {
        eprintln!("pipelint: {}", report::terminal::sanitize(note));
    }
    Ok(analysis)
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
