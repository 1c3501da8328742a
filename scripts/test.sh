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
if [ "$(uname -m)" = x86_64 ] && [ -z "${CMAKE_ARGS:-}" ]; then
  # llama.cpp compiled for the "native" CPU uses AMX where the CPU lists it, and some virtual machines list
  # AMX without granting it: a general protection fault at the first matrix product. Build for AVX2.
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
fi
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
lint-imports --no-cache >/dev/null || lint-imports --no-cache
ruff check --quiet .
mypy
python3 -m pytest "$@"
