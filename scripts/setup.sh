#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv.
# Usage: scripts/setup.sh [requirements-file]   (default requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements.txt}"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
if [ "$requirements" = "requirements-dev.txt" ]; then
    # test-only packages whose declared pins conflict with ours (see the file)
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
fi
