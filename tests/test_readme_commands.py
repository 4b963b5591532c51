"""README's user-account commands work as written, in order, on a fresh catalog.

The lines are read from README.md (the block after the ``readme-users`` marker), so the test
follows the documentation. Each runs as the README writes it, with no terminal (a new session),
as a script would: the passwords it asks for come from standard input and ``FINDCOLOR_PASSWORD``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from core_fixtures import REPO_ROOT, readme_user_commands

ADMIN_PASSWORD = "admin passphrase 1"


def test_the_documented_user_commands_work_in_order(tmp_path: Path) -> None:
    commands = readme_user_commands()
    assert [command[:3] for command in commands[:2]] == [[".venv/bin/findcolor", "user", "add"]] * 2
    env = {key: value for key, value in os.environ.items() if not key.startswith("FINDCOLOR_")}
    env["FINDCOLOR_DATA_DIR"] = str(tmp_path / "data")
    outputs = []
    for number, command in enumerate(commands):
        assert command[0] == ".venv/bin/findcolor"
        password = ADMIN_PASSWORD if number == 0 else f"passphrase of account {number}"
        result = subprocess.run(
            [sys.executable, "-m", "findcolor", *command[1:]], input=f"{password}\n{password}\n", capture_output=True,
            text=True, timeout=120, cwd=REPO_ROOT, start_new_session=True,  # no terminal: getpass reads stdin
            env={**env, "FINDCOLOR_PASSWORD": ADMIN_PASSWORD} if number else env,
        )  # fmt: skip
        assert result.returncode == 0, f"{shlex.join(command)}: {result.stderr}"
        outputs.append(result.stdout)
    assert "created user 'ana' (admin)" in outputs[0] and "single-user mode has ended" in outputs[0]
    assert "created user 'kim' (reviewer)" in outputs[1]
    assert re.search(r"^ana +admin +active$", outputs[2], re.M) and re.search(r"^kim +reviewer +active$", outputs[2], re.M)
