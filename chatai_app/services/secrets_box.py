"""Encryption at rest for third-party secrets (provider API keys, bot tokens): Fernet keyed by SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from chatai_app.settings import KNOWN_PUBLIC_SECRET, get_settings


@lru_cache
def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(("secrets-box:" + secret_key).encode()).digest()))


def encrypt(plain: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """Secrets stored by releases that signed with the old public default stay readable (re-encrypted with
    the install's own key when next saved); nothing new is ever encrypted with it."""
    for secret_key in (get_settings().secret_key, KNOWN_PUBLIC_SECRET):
        try:
            return _fernet(secret_key).decrypt(token.encode()).decode()
        except InvalidToken:
            continue
    raise ValueError("the secret cannot be decrypted: was SECRET_KEY changed?")


def hint(secret: str) -> str:
    """What the UI may show: the first and last characters only."""
    return f"{secret[:3]}…{secret[-4:]}" if len(secret) > 10 else "…"
