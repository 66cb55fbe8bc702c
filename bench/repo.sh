#!/usr/bin/env bash
# `pipelint check` latencies on one real repo, as the README's Performance
# section reports them for GitLab analytics: cold, replayed (unchanged), warm
# facts (the replay removed), one DAG file changed and one model changed.
# Each is run 5 times under GNU time; the repo is copied first, never edited in
# place. Not part of the tests.
#   bench/repo.sh BINARY REPO DAG_FILE MODEL_FILE
# e.g. bench/repo.sh target/release/pipelint ~/src/gitlab-analytics \
#        dags/extract/saas_usage_ping.py \
#        transform/snowflake-dbt/models/common/dimensions_local/sales_and_marketing/dim_channel_type.sql
set -euo pipefail
bin=$(realpath "$1"); src=$2; dag=$3; model=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/repo"
sleep 2  # the copy settled: a file changed in the last two seconds is never trusted by its stamp
cache="$work/cache"
run() { /usr/bin/time -f "%e s wall, %U s user" "$bin" check "$work/repo" --format json "$@" 2>&1 >/dev/null | tail -1 || true; }
runs() {
  local name=$1 prepare=$2; shift 2
  for _ in 1 2 3 4 5; do
    $prepare
    printf '%-18s %s\n' "$name" "$(run "$@")"
  done
}
none() { :; }
here=$(cd "$(dirname "$0")" && pwd)
forget() { python3 "$here/scale.py" --forget-replays "$cache"; }  # the replay left out, as scale.py does
# An edit the file's parser sees (a trailing comment line), undone by the next.
flip() {
  local f="$work/repo/$1" mark=$'\n'"$2"
  if [ "$(tail -c ${#mark} "$f")" = "$mark" ]; then truncate -s -${#mark} "$f"; else printf '%s' "$mark" >>"$f"; fi
  sleep 2  # settled, as a file saved before the run
}
flip_dag() { flip "$dag" "# bench"; }
flip_model() { flip "$model" "-- bench"; }
runs cold none --no-cache
run --cache-dir "$cache" >/dev/null
runs replayed none --cache-dir "$cache"
runs "warm facts" forget --cache-dir "$cache"
runs "one DAG changed" flip_dag --cache-dir "$cache"
runs "one model changed" flip_model --cache-dir "$cache"
