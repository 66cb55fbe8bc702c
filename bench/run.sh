#!/usr/bin/env bash
# Benchmarks of `pipelint check` on generated repos: wall time (hyperfine when
# installed, else best of 5) and peak memory (GNU time). Not part of the tests.
#   bench/run.sh                  # 2,000 SQL files
#   bench/run.sh full             # 10,000 dbt models + 1,000 DAG files + 2,000 SQL files
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example synth_repo
cargo build --release --quiet
bin=target/release/pipelint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case "${1:-sql}" in
  full) target/release/examples/synth_repo "$work/repo" --sql 2000 --dbt 10000 --dags 1000 ;;
  *)    target/release/examples/synth_repo "$work/repo" --sql 2000 ;;
esac
measure() {
  local name=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs 10 -i "$*" 2>&1 | grep -E "Time|Range" | sed "s/^/$name: /"
  else
    best=999999
    for _ in 1 2 3 4 5; do
      s=$(date +%s%N); "$@" >/dev/null || true; e=$(date +%s%N)
      ms=$(( (e - s) / 1000000 )); (( ms < best )) && best=$ms
    done
    echo "$name: best of 5 = ${best} ms"
  fi
  /usr/bin/time -f "$name: peak RSS %M KB, %e s wall, %U s user" "$@" >/dev/null 2>"$work/time" || true
  tail -1 "$work/time"
}
measure "acme" $bin check fixtures/acme
measure "acme-broken" $bin check fixtures/acme-broken
measure "synthetic" $bin check "$work/repo" --format json
$bin check "$work/repo" --format json | python3 -c 'import json,sys; print("synthetic summary:", json.load(sys.stdin)["summary"])' || true
