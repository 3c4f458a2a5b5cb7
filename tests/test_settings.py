import os
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from chatai_app.settings import KNOWN_PUBLIC_SECRET, Settings


@pytest.mark.parametrize("secret", ["", KNOWN_PUBLIC_SECRET, "too-short"])
def test_production_refuses_default_or_weak_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", SECRET_KEY=secret)


def test_production_accepts_a_strong_secret() -> None:
    settings = Settings(environment="production", SECRET_KEY="x" * 48)
    assert settings.is_production


def test_no_install_signs_with_a_public_default(tmp_path: Path) -> None:
    """Unset SECRET_KEY: a random key is generated once into the data dir (0600) and reused."""
    first = Settings(environment="development", SECRET_KEY="", CHATAI_DATA_DIR=tmp_path).secret_key
    again = Settings(environment="development", SECRET_KEY="", CHATAI_DATA_DIR=tmp_path).secret_key
    other = Settings(environment="development", SECRET_KEY="", CHATAI_DATA_DIR=tmp_path / "other").secret_key
    assert len(first) >= 48 and first == again and other != first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    with pytest.raises(ValidationError, match="publicly known"):
        Settings(environment="development", SECRET_KEY=KNOWN_PUBLIC_SECRET)


def test_base_url_follows_port_unless_public_url_is_set() -> None:
    assert Settings(CHATAI_PORT=4100).base_url == "http://localhost:4100"
    assert Settings(public_url="https://chat.example.com/").base_url == "https://chat.example.com"
