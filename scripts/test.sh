#!/usr/bin/env bash
# Set up everything the tests need and run them: the README's test command.
# PostgreSQL tests run when FINDCOLOR_TEST_DATABASE_URL is set (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    # Debian's Chromium drives the dashboard's end-to-end tests (never a downloaded browser).
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
