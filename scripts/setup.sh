#!/usr/bin/env bash
# Set up argmap in ./.venv: Python packages (with the test extras when given "test"), and
# Graphviz's `dot` from the system's packages where this machine lets us install it.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "test" ] && extras="[test]"

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Graphviz (apt-get install graphviz)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
      || echo "setup: could not install Graphviz; diagrams will need it (https://graphviz.org/download/)" >&2
  else
    echo "setup: Graphviz's 'dot' not found; install it for PDF/PNG diagrams (https://graphviz.org/download/)" >&2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
