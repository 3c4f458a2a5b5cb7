"""Short-lived JWT access tokens and opaque refresh/session tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from chatai_app.services.errors import AuthenticationRequired

ALGORITHM = "HS256"
ISSUER = "chatai"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID


def _key(secret_key: str) -> OctKey:
    return OctKey.import_key(hashlib.sha256(("jwt:" + secret_key).encode()).digest())


def issue_access_token(claims: AccessClaims, *, secret_key: str, ttl_s: int) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id),
        "sid": str(claims.session_id),
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode({"alg": ALGORITHM}, payload, _key(secret_key))


def decode_access_token(token: str, *, secret_key: str) -> AccessClaims:
    try:
        decoded = jwt.decode(token, _key(secret_key), algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": ISSUER}, exp={"essential": True}).validate(
            decoded.claims
        )
        claims = decoded.claims
        return AccessClaims(uuid.UUID(claims["sub"]), uuid.UUID(claims["tid"]), uuid.UUID(claims["sid"]))
    except (JoseError, KeyError, ValueError) as exc:
        raise AuthenticationRequired("Access token is invalid or expired") from exc


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
