#!/usr/bin/env bash
# Set up argmap in ./.venv: Python packages (with the test and distributed extras when given "test"), and
# Graphviz's `dot` from the system's packages where this machine lets us install it.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "test" ] && extras="[test,distributed]"  # the suite starts a real Dask LocalCluster

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Graphviz (apt-get install graphviz)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
      || echo "setup: could not install Graphviz; diagrams will need it (https://graphviz.org/download/)" >&2
  else
    echo "setup: Graphviz's 'dot' not found; install it for PDF/PNG diagrams (https://graphviz.org/download/)" >&2
  fi
fi

# Figures are set in Liberation Serif/Sans (the metrics of Times and Helvetica); without them
# fontconfig falls back to another family and the committed figures are laid out differently.
if command -v fc-match >/dev/null 2>&1 && [ "$(fc-match -f '%{family}' 'Liberation Serif')" != "Liberation Serif" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing the Liberation fonts (apt-get install fonts-liberation)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-liberation >/dev/null) \
      || echo "setup: could not install fonts-liberation; figures fall back to another font" >&2
  else
    echo "setup: Liberation Serif not found; install fonts-liberation for figures as committed" >&2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"

if [ "${1:-}" = "test" ]; then
  # The official Argdown parser, a real client of `argmap export --to argdown`, goes in .tools/
  # (git-ignored). The tests fail, not skip, when it is missing.
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Node.js and npm (apt-get install nodejs npm)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
      || echo "setup: could not install npm; the Argdown tests will fail (https://nodejs.org)" >&2
  fi
  # The report tests' real clients: headless Chromium, pdfLaTeX with the lmodern fonts (and the
  # T2A Cyrillic ones: texlive-lang-cyrillic, cm-super-minimal), and poppler's pdftotext. The
  # tests fail, not skip, when one is missing.
  if { ! command -v chromium >/dev/null 2>&1 || ! command -v pdflatex >/dev/null 2>&1 \
       || ! command -v pdftotext >/dev/null 2>&1 || ! kpsewhich lmodern.sty >/dev/null 2>&1 \
       || ! kpsewhich t2aenc.def >/dev/null 2>&1 || ! kpsewhich sfrm1000.pfb >/dev/null 2>&1; } \
     && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Chromium, pdfLaTeX and poppler-utils (apt-get) for the report tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium texlive-latex-base \
       texlive-latex-recommended texlive-fonts-recommended lmodern texlive-lang-cyrillic cm-super-minimal \
       poppler-utils >/dev/null) \
      || echo "setup: could not install them; the report tests will fail" >&2
  fi
  if [ ! -x .tools/node_modules/.bin/argdown ] && command -v npm >/dev/null 2>&1; then
    echo "setup: installing the Argdown CLI into .tools/ (npm install @argdown/cli)" >&2
    mkdir -p .tools
    npm install --silent --no-audit --no-fund --prefix .tools @argdown/cli@1.7.5 >/dev/null
  fi
fi
