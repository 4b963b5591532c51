"""Writing benchmark results where people read them: a JSON file and a README table.

Each benchmark owns one block of README.md delimited by ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``; rerunning the benchmark replaces the block, so the numbers in
README are always the last measured ones, with the machine they were measured on.
"""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def machine_description() -> str:
    """One line naming the CPU and core count, so numbers are never quoted without context."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any], table: str) -> None:
    """Save ``data`` as benchmarks/results/NAME.json and put ``table`` into README's NAME block."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    payload = {"benchmark": name, "date": stamp, "machine": machine_description(), **data}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    block = f"{table}\n\n_Measured {stamp} on {payload['machine']} (`python -m benchmarks.{name}`)._"
    readme = ROOT / "README.md"
    text = readme.read_text()
    pattern = re.compile(rf"(<!-- bench:{re.escape(name)} -->\n).*?(\n<!-- /bench:{re.escape(name)} -->)", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda m: m.group(1) + block + m.group(2), text)
    else:
        text += f"\n<!-- bench:{name} -->\n{block}\n<!-- /bench:{name} -->\n"
    readme.write_text(text)
