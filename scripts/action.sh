#!/usr/bin/env bash
# The logic of pipelint's GitHub Action (action.yml), kept here so it can be
# read, linted and tested locally. Every input arrives as an environment
# variable (action.yml sets them with `env:`); nothing here is ever evaluated
# as shell code: values are quoted, `args` is split on white space only.
#
#   action.sh prepare   decide how to install; write cache-key, cargo-root, mode
#   action.sh install   download a released binary (checksum verified) or
#                       `cargo install` into the (cached) cargo root; write bin
#   action.sh check     run pipelint: SARIF (full, unfiltered), the step
#                       summary (markdown), annotations, and the exit code
#
# Environment (GitHub sets the GITHUB_*/RUNNER_* ones):
#   ACTION_PATH ACTION_REF ACTION_REPOSITORY   where the action lives, its ref
#   INPUT_PATH INPUT_ARGS INPUT_FAIL_ON INPUT_BASELINE INPUT_CHANGED_SINCE
#   INPUT_SARIF INPUT_SUMMARY INPUT_ANNOTATIONS
#   INPUT_DOWNLOAD_URL   release archive URL; {version}, {target} are filled in
#                        (default: the GitHub release asset that
#                        .github/workflows/release.yml uploads)
#   INPUT_SHA256         expected checksum of the archive (else <url>.sha256)
#   PIPELINT_BIN         the binary to run (set by `install`, or by a test)
set -euo pipefail

die() {
  echo "::error title=pipelint action::$*" >&2
  exit 2
}

output() {
  # name=value into $GITHUB_OUTPUT (or stdout when run by hand).
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$1" "$2"
  fi
}

action_path() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  printf '%s' "${ACTION_PATH:-$here}"
}

truthy() {
  case "${1:-}" in
    true | True | TRUE | yes | 1) return 0 ;;
    *) return 1 ;;
  esac
}

sha256_stdin() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d' ' -f1
  else
    shasum -a 256 | cut -d' ' -f1
  fi
}

sha256_of() {
  sha256_stdin <"$1"
}

# The Rust target of the runner's OS and architecture.
target() {
  local os arch
  os="${RUNNER_OS:-$(uname -s)}"
  arch="${RUNNER_ARCH:-$(uname -m)}"
  case "$arch" in
    X64 | x86_64 | amd64) arch=x86_64 ;;
    ARM64 | arm64 | aarch64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$os" in
    Linux) printf '%s-unknown-linux-musl' "$arch" ;;
    macOS | Darwin) printf '%s-apple-darwin' "$arch" ;;
    Windows | MINGW* | MSYS*) printf '%s-pc-windows-msvc' "$arch" ;;
    *) return 1 ;;
  esac
}

# A release tag: v1.2.3 (optionally -rc.1 and the like).
release_version() {
  local ref="${ACTION_REF:-}"
  if [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
    printf '%s' "$ref"
    return 0
  fi
  return 1
}

# A hash of what `cargo install` builds from: Cargo.lock, then the sources
# (a branch ref such as `main` moves while its name stays).
source_hash() {
  local root lock sources
  root=$(action_path)
  lock=$(sha256_of "$root/Cargo.lock")
  sources=$(cd "$root" && find Cargo.toml src rules -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha256_stdin)
  printf '%s-%s' "${lock:0:16}" "${sources:0:16}"
}

prepare() {
  local root="${RUNNER_TEMP:?RUNNER_TEMP is not set}/pipelint-cargo"
  output cargo-root "$root"
  local version target_name
  if version=$(release_version) && target_name=$(target) && [ -z "${PIPELINT_FORCE_CARGO:-}" ]; then
    output mode download
    output cache-key ""
    return
  fi
  output mode cargo
  local ref="${ACTION_REF:-local}"
  ref="${ref//[^A-Za-z0-9._-]/_}"
  output cache-key "pipelint-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-${ref}-$(source_hash)"
}

download() {
  local version="$1" target_name="$2" dest="$3"
  local url="${INPUT_DOWNLOAD_URL:-}"
  if [ -z "$url" ]; then
    local repo="${ACTION_REPOSITORY:-pipelint/pipelint}"
    url="${GITHUB_SERVER_URL:-https://github.com}/${repo}/releases/download/{version}/pipelint-{target}.tar.gz"
  fi
  url="${url//\{version\}/$version}"
  url="${url//\{target\}/$target_name}"
  local work="${RUNNER_TEMP:?}/pipelint-download"
  rm -rf "$work"
  mkdir -p "$work"
  echo "pipelint: downloading $url"
  curl --fail --silent --show-error --location --retry 3 --proto '=https,http' \
    --output "$work/archive.tar.gz" -- "$url" || die "cannot download $url"
  local want="${INPUT_SHA256:-}"
  if [ -z "$want" ]; then
    curl --fail --silent --show-error --location --retry 3 --proto '=https,http' \
      --output "$work/archive.sha256" -- "$url.sha256" || die "cannot download $url.sha256"
    want=$(cut -d' ' -f1 <"$work/archive.sha256" | tr -d '\r\n')
  fi
  local got
  got=$(sha256_of "$work/archive.tar.gz")
  want=$(printf '%s' "$want" | tr 'A-F' 'a-f')
  if [ "$want" != "$got" ]; then
    die "checksum mismatch for $url: expected $want, got $got"
  fi
  echo "pipelint: sha256 $got verified"
  mkdir -p "$work/x"
  tar -xzf "$work/archive.tar.gz" -C "$work/x"
  local found
  found=$(find "$work/x" -type f \( -name pipelint -o -name pipelint.exe \) | head -n 1)
  [ -n "$found" ] || die "no pipelint binary in $url"
  mkdir -p "$dest"
  install -m 0755 "$found" "$dest/$(basename "$found")"
  rm -rf "$work"
}

install_pipelint() {
  local root="${RUNNER_TEMP:?RUNNER_TEMP is not set}/pipelint-cargo"
  local version target_name
  if version=$(release_version) && target_name=$(target) && [ -z "${PIPELINT_FORCE_CARGO:-}" ]; then
    local dest="$RUNNER_TEMP/pipelint-bin"
    download "$version" "$target_name" "$dest"
    local bin="$dest/pipelint"
    [ -x "$bin" ] || bin="$dest/pipelint.exe"
    output bin "$bin"
    "$bin" --version
    return
  fi
  local bin="$root/bin/pipelint"
  if [ -x "$bin" ] || [ -x "$bin.exe" ]; then
    echo "pipelint: using the cached build in $root"
  else
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$RUNNER_TEMP/pipelint-target}" \
      cargo install --locked --root "$root" --path "$(action_path)"
  fi
  [ -x "$bin" ] || bin="$bin.exe"
  output bin "$bin"
  "$bin" --version
}

check() {
  local bin="${PIPELINT_BIN:?PIPELINT_BIN is not set (run install first)}"
  local workspace="${GITHUB_WORKSPACE:-$PWD}"
  cd "$workspace"

  local path="${INPUT_PATH:-.}"
  local fail_on="${INPUT_FAIL_ON:-error}"
  case "$fail_on" in
    error | warn | info) ;;
    *) die "fail-on must be error, warn or info" ;;
  esac
  # `args`: split on white space, never expanded or evaluated.
  local -a extra=()
  if [ -n "${INPUT_ARGS:-}" ]; then
    read -r -a extra <<<"$INPUT_ARGS"
  fi

  # What gates the run: --fail-on, the baseline, the change.
  local -a gate=(--fail-on "$fail_on")
  if [ -n "${INPUT_BASELINE:-}" ]; then
    gate+=(--baseline "$INPUT_BASELINE")
  fi
  local since="${INPUT_CHANGED_SINCE:-}"
  if [ -z "$since" ] && [[ "${GITHUB_EVENT_NAME:-}" == pull_request* ]] && [ -n "${GITHUB_BASE_REF:-}" ]; then
    # Checkouts are shallow: fetch the base branch (and enough history of
    # both sides to find where they meet) before comparing with it.
    git fetch --no-tags --depth=200 origin \
      "+refs/heads/${GITHUB_BASE_REF}:refs/remotes/origin/${GITHUB_BASE_REF}" ||
      die "cannot fetch the base branch ${GITHUB_BASE_REF}"
    if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
      git fetch --no-tags --deepen=200 origin || true
    fi
    since="origin/${GITHUB_BASE_REF}"
  fi
  if [ -n "$since" ]; then
    gate+=(--changed-since "$since")
  fi

  local out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
  local status=0

  if truthy "${INPUT_SARIF:-true}"; then
    # Always the full, unfiltered result: code scanning tracks alerts itself
    # and closes those missing from an upload.
    local sarif="$out_dir/pipelint.sarif"
    local code=0
    "$bin" check "$path" ${extra[@]+"${extra[@]}"} --format sarif >"$sarif" || code=$?
    if [ "$code" -ge 2 ]; then
      die "pipelint could not run (exit $code)"
    fi
    output sarif "$sarif"
  fi

  if truthy "${INPUT_SUMMARY:-true}" && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    local code=0
    "$bin" check "$path" ${extra[@]+"${extra[@]}"} "${gate[@]}" --format markdown >>"$GITHUB_STEP_SUMMARY" || code=$?
    if [ "$code" -ge 2 ]; then
      die "pipelint could not run (exit $code)"
    fi
  fi

  if truthy "${INPUT_ANNOTATIONS:-true}"; then
    "$bin" check "$path" ${extra[@]+"${extra[@]}"} "${gate[@]}" --format github || status=$?
  else
    "$bin" check "$path" ${extra[@]+"${extra[@]}"} "${gate[@]}" --quiet --no-color || status=$?
  fi
  output exit-code "$status"
  exit "$status"
}

case "${1:-}" in
  prepare) prepare ;;
  install) install_pipelint ;;
  check) check ;;
  *)
    echo "usage: $0 prepare|install|check" >&2
    exit 2
    ;;
esac
