#!/usr/bin/env python3
"""How pipelint's cost grows with the repo: a Markdown table, a row per size.

    python3 bench/scale.py                       # base = 10,000 models / 1,000 DAGs / 2,000 SQL
    python3 bench/scale.py --base 0.1            # a tenth of that, to try it quickly
    python3 bench/scale.py --dbt /tmp/dbtvenv/bin/dbt   # and dbt-core's parse beside pipelint's

At 1x, 2x, 4x and 8x the base (examples/synth_repo writes each repo), it
measures `pipelint check`:

- cold: no cache (`--no-cache` where the binary has the flag),
- warm: again with a cache folder filled by one run (`--cache-dir`): an
  unchanged check is replayed whole,
- warm, facts: the same with the replay removed before each run, so only
  the per-file facts and hashes are reused and the graph and rules run,
- one file changed: warm, one dbt model edited before each run,
- LSP per edit: examples/lsp_edit against `pipelint server` (median of the
  edits after the first),
- peak RSS of the cold run,
- the read-and-tokenize floor (bench/floor.py, one Python process) and the
  cold time's ratio to it,

then the linearity check time(8x)/time(1x) (target <= 8.5). Wall times are
hyperfine's minimum when hyperfine is installed, else the best of --runs;
user+sys CPU seconds are printed too, as wall time is noisy on a busy
machine. A measurement the binary cannot do (no cache flags, no `server`)
is `n/a`, with a note. Not part of the tests.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BASE = {"dbt": 10000, "dags": 1000, "sql": 2000}
EDITED = "transform/models/staging/stg_model_00000.sql"
# The edit the LSP client toggles in EDITED: its source exists, then not.
LSP_FIND = "source('raw', 'table_0')"
LSP_REPLACE = "source('raw', 'table_missing')"


def run_once(cmd, env=None, ok=(0, 1)):
    """Wall seconds, user+sys CPU seconds and peak RSS (KB) of one run; an
    exit code outside `ok` (pipelint: 0 clean, 1 findings) ends the benchmark."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in ok:
        sys.exit(f"failed ({p.returncode}): {shlex.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(cmd, runs, prepare=None, env=None, ok=(0, 1), warmup=True):
    """(best wall s, CPU s, peak RSS KB) of `cmd`, running `prepare` (argv) before each run."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            args = [hyperfine, "--warmup", str(int(warmup)), "--runs", str(runs), "-i", "-N",
                    "--export-json", out.name]
            if prepare:
                args += ["--prepare", shlex.join(prepare)]
            subprocess.run(args + [shlex.join(cmd)], check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            result = json.load(open(out.name))["results"][0]
        if prepare:
            subprocess.run(prepare, check=True)
        rss = run_once(cmd, env, ok)[2]
        return result["min"], result["user"] + result["system"], rss
    if prepare:
        subprocess.run(prepare, check=True)
    if warmup:  # the files in the page cache, as for hyperfine
        run_once(cmd, env, ok)
    best = None
    for _ in range(runs):
        if prepare:
            subprocess.run(prepare, check=True)
        got = run_once(cmd, env, ok)
        best = got if best is None else (min(best[0], got[0]), min(best[1], got[1]), max(best[2], got[2]))
    return best


def build(args):
    """The pipelint binary, synth_repo and lsp_edit (release unless given)."""
    if args.bin:
        binary = os.path.abspath(args.bin)
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        binary = os.path.join(REPO, "target/release/pipelint")
    profile = "release" if not args.debug_examples else "debug"
    flag = ["--release"] if profile == "release" else []
    subprocess.run(["cargo", "build", *flag, "--quiet", "--example", "synth_repo",
                    "--example", "lsp_edit"], cwd=REPO, check=True)
    examples = os.path.join(REPO, "target", profile, "examples")
    return binary, os.path.join(examples, "synth_repo"), os.path.join(examples, "lsp_edit")


def capabilities(binary):
    """Which of the cache flags and the `server` command this binary has."""
    top = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    check = subprocess.run([binary, "check", "--help"], capture_output=True, text=True).stdout
    return {
        "no_cache": "--no-cache" in check,
        "cache_dir": "--cache-dir" in check,
        "server": re.search(r"^\s+server\s", top, re.M) is not None,
    }


def ms(seconds):
    return "n/a" if seconds is None else f"{seconds * 1000:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=float, default=1.0,
                    help="the base size as a fraction of 10,000 models / 1,000 DAGs / 2,000 SQL")
    ap.add_argument("--factors", default="1,2,4,8")
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement (best of)")
    ap.add_argument("--edits", type=int, default=20, help="didChange edits for the LSP latency")
    ap.add_argument("--bin", help="a built pipelint (default: cargo build --release)")
    ap.add_argument("--debug-examples", action="store_true",
                    help="build synth_repo and lsp_edit in debug (quicker to build)")
    ap.add_argument("--dbt", help="a dbt executable: time `dbt parse` on the 1x dbt project")
    ap.add_argument("--dbt-runs", type=int, default=1, help="runs of `dbt parse` (best of)")
    ap.add_argument("--append-line", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--forget-replays", metavar="CACHE", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.append_line:  # the one-file edit, run before each measured run
        with open(args.append_line, "a") as f:
            f.write(f"-- edited {time.time_ns()}\n")
        return
    if args.forget_replays:  # the replayed check left out, run before each measured run
        for repo_cache in os.listdir(args.forget_replays):
            replay = os.path.join(args.forget_replays, repo_cache, "replay.bin")
            if os.path.exists(replay):
                os.remove(replay)
        return
    binary, synth, lsp_edit = build(args)
    can = capabilities(binary)
    factors = [int(f) for f in args.factors.split(",")]
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PIPELINT_CACHE_DIR")}
    notes = []
    if not can["no_cache"]:
        notes.append("cold: this pipelint has no `--no-cache` (and no cache): plain runs")
    if not can["cache_dir"]:
        notes.append("warm and one-file-changed: n/a, this pipelint has no `--cache-dir`")
    if not can["server"]:
        notes.append("LSP: n/a, this pipelint has no `server` command")
    rows = []
    dbt_row = None
    with tempfile.TemporaryDirectory(prefix="pipelint-bench-") as work:
        for factor in factors:
            n = {k: max(1, round(v * args.base * factor)) for k, v in BASE.items()}
            repo = os.path.join(work, f"repo-{factor}x")
            subprocess.run([synth, repo, "--sql", str(n["sql"]), "--dbt", str(n["dbt"]),
                            "--dags", str(n["dags"])], check=True, stdout=subprocess.DEVNULL)
            # pipelint trusts a file's stamp once it has been still for two
            # seconds (as a user's checkout is): wait past that after writing.
            time.sleep(3.5)
            check = [binary, "check", repo, "--root", repo, "--format", "json"]
            cold_cmd = check + (["--no-cache"] if can["no_cache"] else [])
            cold = measure(cold_cmd, args.runs, env=env)
            warm = facts = changed = None
            if can["cache_dir"]:
                cache = os.path.join(work, f"cache-{factor}x")
                warm_cmd = check + ["--cache-dir", cache]
                run_once(warm_cmd, env)
                warm = measure(warm_cmd, args.runs, env=env)
                forget = [sys.executable, os.path.abspath(__file__), "--forget-replays", cache]
                facts = measure(warm_cmd, args.runs, prepare=forget, env=env)
                edit = [sys.executable, os.path.abspath(__file__), "--append-line",
                        os.path.join(repo, EDITED)]
                changed = measure(warm_cmd, args.runs, prepare=edit, env=env)
            lsp = None
            if can["server"]:
                out = subprocess.run([lsp_edit, binary, repo, EDITED, "--find", LSP_FIND,
                                      "--replace", LSP_REPLACE, "--edits", str(args.edits)],
                                     capture_output=True, text=True, env=env)
                if out.returncode == 0:
                    lsp = json.loads(out.stdout)
                else:
                    notes.append(f"LSP at {factor}x failed: {out.stderr.strip()[:200]}")
            floor_cmd = [sys.executable, os.path.join(HERE, "floor.py"), repo]
            floor = measure(floor_cmd, args.runs)
            files = subprocess.run(floor_cmd, capture_output=True, text=True).stdout.split()[0]
            rows.append((factor, n, files, cold, warm, facts, changed, lsp, floor))
            if args.dbt and dbt_row is None:
                dbt_row = dbt_side_by_side(args, binary, repo, work, env, can)
    print(f"pipelint {subprocess.run([binary, '--version'], capture_output=True, text=True).stdout.split()[-1]}"
          f", base {args.base:g} x (10,000 models / 1,000 DAGs / 2,000 SQL), "
          f"{'hyperfine min' if shutil.which('hyperfine') else f'best of {args.runs}'}, "
          f"{os.cpu_count()} cores\n")
    print("| size | models / DAGs / SQL | files | cold ms (CPU s) | warm ms (replayed) "
          "| warm ms (facts) | one file changed ms "
          "| LSP edit ms (median / p90) | peak RSS MB | floor ms | cold / floor |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for factor, n, files, cold, warm, facts, changed, lsp, floor in rows:
        lsp_text = f"{lsp['median_ms']:.0f} / {lsp['p90_ms']:.0f}" if lsp else "n/a"
        print(f"| {factor}x | {n['dbt']:,} / {n['dags']:,} / {n['sql']:,} | {files} "
              f"| {ms(cold[0])} ({cold[1]:.2f}) | {ms(warm and warm[0])} | {ms(facts and facts[0])} "
              f"| {ms(changed and changed[0])} "
              f"| {lsp_text} | {cold[2] / 1024:.0f} | {ms(floor[0])} | {cold[0] / floor[0]:.1f} |")
    by = {r[0]: r for r in rows}
    if 1 in by and 8 in by:
        wall = by[8][3][0] / by[1][3][0]
        cpu = by[8][3][1] / by[1][3][1]
        print(f"\nlinearity: cold time(8x)/time(1x) = {wall:.2f} wall, {cpu:.2f} CPU "
              f"(target <= 8.5): {'ok' if wall <= 8.5 else 'OVER'}")
    if dbt_row:
        print("\n" + dbt_row)
    for note in notes:
        print(f"\nnote: {note}")


def dbt_side_by_side(args, binary, repo, work, env, can):
    """`dbt parse --no-partial-parse` and `pipelint check` on the same dbt project."""
    project = os.path.join(repo, "transform")
    profiles = os.path.join(work, "profiles")
    os.makedirs(profiles, exist_ok=True)
    with open(os.path.join(profiles, "profiles.yml"), "w") as f:
        f.write("synthetic:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                f"      path: {os.path.join(work, 'bench.duckdb')}\n")
    dbt_env = dict(env, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    dbt = measure([args.dbt, "parse", "--no-partial-parse", "--project-dir", project,
                   "--profiles-dir", profiles, "--target-path", os.path.join(work, "dbt-target")],
                  args.dbt_runs, env=dbt_env, ok=(0,), warmup=False)
    ours = measure([binary, "check", project, "--root", project, "--format", "json"]
                   + (["--no-cache"] if can["no_cache"] else []), args.runs, env=env)
    # The versions from the venv's metadata (`dbt --version` asks PyPI for the latest).
    python = os.path.join(os.path.dirname(args.dbt), "python")
    versions = subprocess.run([python, "-c", "import importlib.metadata as m; "
                               "print(m.version('dbt-core'), m.version('dbt-duckdb'))"],
                              capture_output=True, text=True).stdout.split() or ["?", "?"]
    models = sum(len(fs) for _, _, fs in os.walk(os.path.join(project, "models")))
    return ("| on the 1x dbt project (" + f"{models - 1:,} models" + ") | wall ms | CPU s | peak RSS MB |\n"
            "|---|---|---|---|\n"
            f"| dbt-core {versions[0]} `dbt parse --no-partial-parse` (dbt-duckdb {versions[-1]}) "
            f"| {ms(dbt[0])} | {dbt[1]:.2f} | {dbt[2] / 1024:.0f} |\n"
            f"| pipelint `check` | {ms(ours[0])} | {ours[1]:.2f} | {ours[2] / 1024:.0f} |\n"
            f"| ratio | {dbt[0] / ours[0]:.0f}x | {dbt[1] / max(ours[1], 1e-9):.0f}x | |")


if __name__ == "__main__":
    main()
