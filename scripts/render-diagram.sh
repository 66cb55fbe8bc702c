#!/bin/sh
# Renders the README's architecture diagram from the acme fixture:
#   scripts/render-diagram.sh [OUT]     (default docs/acme.svg)
# PIPELINT names the binary (default target/debug/pipelint). The SVG is laid
# out by pipelint itself, so the same fixture always gives the same bytes;
# tests/architect.rs checks the committed file against a fresh render.
set -eu
cd "$(dirname "$0")/.."
bin="${PIPELINT:-target/debug/pipelint}"
out="${1:-docs/acme.svg}"
"$bin" graph fixtures/acme --root fixtures/acme --format svg > "$out"
