#!/usr/bin/env bash
# Set up argmap and update the shipped case: every claim's prior, posterior and verbal word.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/argmap check models/russia_china.yaml
.venv/bin/argmap update models/russia_china.yaml "$@"
