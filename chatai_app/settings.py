"""One settings object for every process (web app, bot fleet, CLI)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-insecure-dev-secret-key-0000"


class Settings(BaseSettings):
    """Configuration read from the environment (and an optional `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    public_url: str | None = None
    data_dir: Path = Field(default=Path("var"), alias="CHATAI_DATA_DIR")
    port: int = Field(default=3000, alias="CHATAI_PORT")
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600
    auth_rate_limit_per_minute: int = 10
    telegram_api_url: str = "https://api.telegram.org"
    max_upload_bytes: int = Field(default=10 * 2**20, alias="CHATAI_MAX_UPLOAD_BYTES")
    stripe_secret_key: str | None = None  # top-ups through Stripe Checkout when set
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # a Stripe-compatible endpoint (tests use a local one)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and (
            not self.secret_key or self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError("SECRET_KEY must be set to a random value of at least 32 characters in production")
        return self

    @property
    def base_url(self) -> str:
        """Where browsers reach the app (PUBLIC_URL behind a proxy, else localhost:port)."""
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(
                "DATABASE_URL is not set: start through `chatai run` (embedded PostgreSQL) "
                "or point DATABASE_URL at a PostgreSQL server with pgvector"
            )
        return self.database_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
