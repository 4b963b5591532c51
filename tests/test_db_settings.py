"""Settings come from FINDCOLOR_* variables, with working defaults and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.errors import InvalidInput
from db.settings import load_settings


def test_defaults_put_everything_in_data_folder_of_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.data_dir == tmp_path / "data"
    assert settings.store_dir == tmp_path / "data" / "store"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'catalog.sqlite3'}"
    assert settings.is_sqlite
    assert settings.four_eyes is True
    assert settings.thumbnail_side == 256


def test_environment_overrides(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "FINDCOLOR_DATA_DIR": str(tmp_path / "archive"),
            "FINDCOLOR_DATABASE_URL": "postgresql+psycopg://user@db.example/archive",
            "FINDCOLOR_FOUR_EYES": "false",
            "FINDCOLOR_MAX_PIXELS": "1_000_000",
            "FINDCOLOR_MAX_UPLOAD_BYTES": "2048",
        }
    )
    assert settings.data_dir == tmp_path / "archive"
    assert settings.store_dir == tmp_path / "archive" / "store"
    assert settings.database_url == "postgresql+psycopg://user@db.example/archive"
    assert not settings.is_sqlite
    assert settings.four_eyes is False
    assert settings.max_pixels == 1_000_000
    assert settings.max_upload_bytes == 2048


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("FOUR_EYES", "maybe", "yes/no"), ("MAX_PIXELS", "lots", "whole number"), ("DISPLAY_SIDE", "-3", "positive")],
)
def test_bad_values_are_one_line_errors(name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as error:
        load_settings({f"FINDCOLOR_{name}": value})
    assert "\n" not in str(error.value)
    assert f"FINDCOLOR_{name}" in str(error.value)


def test_the_dashboard_sign_in_lifetime_is_configurable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import db

    assert db.load_settings({}, data_dir=tmp_path).session_hours == 12
    assert db.load_settings({"FINDCOLOR_SESSION_HOURS": "2"}, data_dir=tmp_path).session_hours == 2
