"""One settings object for every process (web app, bot fleet, CLI)."""

from __future__ import annotations

import os
import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The value older releases shipped as a default; it is public, so it is refused everywhere.
KNOWN_PUBLIC_SECRET = "change-me-insecure-dev-secret-key-0000"
SECRET_KEY_FILE = "secret_key"
MIN_SECRET_LENGTH = 32


def load_or_create_secret_key(data_dir: Path) -> str:
    """The install's own random key, kept in the data dir (0600) and reused on every start.

    Several processes may start at once: the key is written to a private temporary file and linked
    into place, so exactly one value wins and everyone reads that one."""
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


class Settings(BaseSettings):
    """Configuration read from the environment (and an optional `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    redis_url: str | None = None
    # Names this deployment's event channel (PostgreSQL NOTIFY / Redis pub/sub); unset: the database's name
    event_namespace: str = Field(default="", alias="CHATAI_EVENT_NAMESPACE")
    # SECRET_KEY; unset: a random key generated once into the data dir on first use (refused in production)
    configured_secret_key: str = Field(default="", alias="SECRET_KEY")
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    public_url: str | None = None
    data_dir: Path = Field(default=Path("var"), alias="CHATAI_DATA_DIR")
    port: int = Field(default=3000, alias="CHATAI_PORT")
    db_pool_size: int = 10  # per process; with db_max_overflow, what the database must allow per process
    db_max_overflow: int = 10
    db_pool_timeout_s: float = 5.0  # a checkout that waits longer answers 503, never a 30 s hang
    max_concurrent_turns: int = 8  # conversation turns running at once per process; the rest queue
    turn_queue_wait_s: float = 20.0  # how long an HTTP caller queues for a turn before 503 + Retry-After
    widget_visitors_per_ip_per_minute: int = 10  # new visitor tokens
    widget_messages_per_visitor_per_minute: int = 10
    widget_messages_per_ip_per_minute: int = 30
    widget_messages_per_assistant_per_minute: int = 600
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600
    auth_rate_limit_per_minute: int = 10
    telegram_api_url: str = "https://api.telegram.org"
    telegram_allow_http_webhook: bool = False  # Telegram needs an https:// PUBLIC_URL for webhooks; true: local fakes
    max_upload_bytes: int = Field(default=10 * 2**20, alias="CHATAI_MAX_UPLOAD_BYTES")
    # issue 15: website import. Private, loopback and link-local addresses are refused unless allowed (tests, an
    # intranet deployment); one request per crawl_interval_s per host; pages over crawl_max_page_bytes are skipped
    crawl_allow_private_hosts: bool = Field(default=False, alias="CHATAI_CRAWL_ALLOW_PRIVATE_HOSTS")
    crawl_interval_s: float = Field(default=1.0, alias="CHATAI_CRAWL_INTERVAL_S")
    crawl_max_page_bytes: int = Field(default=2 * 2**20, alias="CHATAI_CRAWL_MAX_PAGE_BYTES")
    crawl_timeout_s: float = 20.0
    stripe_secret_key: str | None = None  # top-ups through Stripe Checkout when set
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # a Stripe-compatible endpoint (tests use a local one)
    # issue 14: e-mail. SMTP_URL smtp://user:pass@host:587 (STARTTLS when offered), smtps://... (TLS);
    # unset = e-mails are kept in the outbox table and shown to platform admins
    smtp_url: str | None = None
    mail_from: str = "ChatAI <no-reply@chatai.local>"
    smtp_timeout_s: float = 10.0

    @model_validator(mode="after")
    def _require_a_private_secret(self) -> Settings:
        if self.configured_secret_key == KNOWN_PUBLIC_SECRET:
            raise ValueError("SECRET_KEY is a publicly known example value; set a random one (or unset it)")
        if self.environment == "production" and len(self.configured_secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} characters in production"
            )
        return self

    @cached_property
    def secret_key(self) -> str:
        """SECRET_KEY, or the install's own key from the data dir (made on first use)."""
        return self.configured_secret_key or load_or_create_secret_key(self.data_dir)

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
