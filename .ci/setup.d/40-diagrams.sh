# Tools for the diagram tests (tests/diagram_render.rs): Graphviz renders the
# DOT, headless Chromium (Debian's package; browser downloads fail here)
# loads the HTML page and the Mermaid output, driven by playwright-core.
# Idempotent; sourced by .ci/run.
if ! command -v dot >/dev/null 2>&1 || ! [ -x /usr/bin/chromium ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq graphviz chromium >/dev/null
fi
export PIPELINT_CHROMIUM=/usr/bin/chromium
export PIPELINT_NODE_MODULES="$CARGO_TARGET_DIR/diagram-npm/node_modules"
if ! [ -d "$PIPELINT_NODE_MODULES/mermaid" ] || ! [ -d "$PIPELINT_NODE_MODULES/playwright-core" ]; then
  mkdir -p "$CARGO_TARGET_DIR/diagram-npm"
  (cd "$CARGO_TARGET_DIR/diagram-npm" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund mermaid@11 playwright-core@1 >/dev/null)
fi
