#!/usr/bin/env bash
# Set up (first run) and start the curator dashboard on http://127.0.0.1:8501 (another port:
# FINDCOLOR_PORT=8502 scripts/dashboard.sh). If the port is taken, say so and stop, rather than
# let Streamlit move to another port that nobody was told about.
# SQLite database and file store in ./data (FINDCOLOR_DATA_DIR to change), shipped model weights.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
port="${FINDCOLOR_PORT:-8501}"
if ! .venv/bin/python - "$port" <<'PY'
import socket, sys
with socket.socket() as probe:
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is not "busy"
    try:
        probe.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
PY
then
    echo "dashboard: port $port on 127.0.0.1 is already in use (another dashboard running?)." >&2
    echo "  Stop it, or choose another port: FINDCOLOR_PORT=$((port + 1)) scripts/dashboard.sh" >&2
    exit 1
fi
echo "Find Color dashboard: http://127.0.0.1:$port  (open it in a browser; Ctrl+C stops it)"
exec .venv/bin/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port "$port" \
    --server.headless true "$@"
