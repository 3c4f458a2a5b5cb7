import pytest
from pydantic import ValidationError

from chatai_app.settings import DEFAULT_SECRET_KEY, Settings


@pytest.mark.parametrize("secret", ["", DEFAULT_SECRET_KEY, "too-short"])
def test_production_refuses_default_or_weak_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key=secret)


def test_production_accepts_a_strong_secret() -> None:
    settings = Settings(environment="production", secret_key="x" * 48)
    assert settings.is_production


def test_development_runs_with_the_default_secret() -> None:
    assert Settings(environment="development").secret_key == DEFAULT_SECRET_KEY


def test_base_url_follows_port_unless_public_url_is_set() -> None:
    assert Settings(CHATAI_PORT=4100).base_url == "http://localhost:4100"
    assert Settings(public_url="https://chat.example.com/").base_url == "https://chat.example.com"
