#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, checks the code (layer order,
# lint, types), then runs the tests: all of them, slow and browser ones included, unless
# arguments for pytest say otherwise (e.g. -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
lint-imports --no-cache >/dev/null || lint-imports --no-cache
ruff check --quiet .
mypy
python3 -m pytest "$@"
