#!/usr/bin/env bash
# Set up everything the tests need and run them: the README's test command.
# PostgreSQL tests run when FINDCOLOR_TEST_DATABASE_URL is set (.ci/run sets it); without it
# they are skipped with one summary line saying so. The run ends with what it covered.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    # Debian's Chromium drives the dashboard's end-to-end tests (never a downloaded browser).
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
scripts/setup.sh requirements-dev.txt
# Two pytest-xdist workers, a test file per worker at a time (a file's tests keep their order;
# each worker has its own databases, data folders and ports). FINDCOLOR_TEST_WORKERS=0: one process.
# Screenshots for the README only with FINDCOLOR_SCREENSHOTS=1 (the committed ones are left alone).
workers="${FINDCOLOR_TEST_WORKERS:-2}"
echo "Running the test suite with $workers worker(s): 3-4 minutes on 2 idle cores (up to ~9 on a loaded machine), PostgreSQL and the browser tests included."
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
