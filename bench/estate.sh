#!/usr/bin/env bash
# The audit over a generated estate of 100 repos (20–80 SQL files, 40–120 dbt
# models, 5–8 DAG files each: 14,020 files), whole and in 4 shards merged.
# Not part of the tests.   bench/estate.sh [debug|release]   (default debug)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-debug}
flag=(); [ "$profile" = release ] && flag=(--release)
cargo build "${flag[@]}" --quiet --example synth_repo
cargo build "${flag[@]}" --quiet
bin=target/$profile/pipelint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq -w 1 100); do
  n=$((10#$i))
  "target/$profile/examples/synth_repo" "$work/repo-$i" --sql $((20 + n % 7 * 10)) \
    --dbt $((40 + n % 5 * 20)) --dags $((5 + n % 4)) >/dev/null
done
/usr/bin/time -f "audit of 100 repos: %e s wall, %U s user, peak RSS %M KB" \
  "$bin" audit "$work"/repo-* --format markdown >"$work/whole.md"
"$bin" audit "$work"/repo-* --format json >"$work/whole.json"
for k in 1 2 3 4; do "$bin" audit "$work"/repo-* --shard "$k/4" --format json >"$work/shard-$k.json"; done
"$bin" audit merge "$work"/shard-*.json --format json | cmp - "$work/whole.json" && echo "4 shards merged = the whole audit"
