#!/usr/bin/env bash
# Set up (first run) and start the curator dashboard on http://127.0.0.1:8501.
# SQLite database and file store in ./data (FINDCOLOR_DATA_DIR to change), shipped model weights.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.headless true "$@"
