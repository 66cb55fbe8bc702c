# Tools for the CI-integration tests (tests/ci.rs, tests/ci/*.rs): xmllint
# validates --format junit against schemas/junit-10.xsd; pre-commit runs the
# hooks of .pre-commit-hooks.yaml with `try-repo`; maturin builds the wheel
# of pyproject.toml; shellcheck lints scripts/action.sh. Idempotent; sourced
# by .ci/run.
if ! command -v xmllint >/dev/null 2>&1 || ! command -v shellcheck >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq libxml2-utils shellcheck >/dev/null
fi
[ -x "$PIPELINT_VENV/bin/pre-commit" ] && [ -x "$PIPELINT_VENV/bin/maturin" ] \
  || "$PIPELINT_VENV/bin/python" -m pip install --quiet "pre-commit>=3.5" "maturin>=1.5,<2"
export PIPELINT_PRE_COMMIT="$PIPELINT_VENV/bin/pre-commit"
export PIPELINT_MATURIN="$PIPELINT_VENV/bin/maturin"
# pre-commit's environments (the hook's release build) live beside the
# shared target folder, so a second run reuses them.
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$CARGO_TARGET_DIR/pre-commit-home}"
