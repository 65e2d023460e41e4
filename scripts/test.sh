#!/usr/bin/env bash
# The test command: set up when needed, lint, type-check, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check voice_shop tests scripts
.venv/bin/mypy voice_shop
.venv/bin/python -m pytest -q "$@"
