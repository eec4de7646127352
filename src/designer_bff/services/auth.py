"""Accounts, passwords (argon2), login tokens (JWT), API keys and signed asset URLs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from designer_bff.config import Settings
from designer_bff.db.engine import Database
from designer_bff.db.repositories import ApiKeys, Users
from designer_bff.db.tables import ApiKey, User, utcnow
from designer_bff.errors import InvalidInput, Unauthorized
from designer_bff.services.ratelimit import AttemptLimiter, MemoryLimiter, RedisLimiter

API_KEY_PREFIX = "dbff_"
_ALGORITHM = "HS256"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class AuthService:
    """Registration, login, token and API-key checks."""

    def __init__(self, settings: Settings, db: Database, limiter: AttemptLimiter | None = None) -> None:
        from pwdlib import PasswordHash

        self.settings = settings
        self.db = db
        self._secret = settings.secret()
        self._hasher = PasswordHash.recommended()
        # A hash of a random password, verified on unknown emails so timing does not reveal accounts.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self.limiter = limiter or (
            RedisLimiter(settings.redis_url, settings.login_attempts_per_minute)
            if settings.redis_url
            else MemoryLimiter(settings.login_attempts_per_minute)
        )

    def register(self, email: str, password: str, display_name: str | None = None) -> User:
        """Create an account (password ≥ 8 characters)."""
        email = email.strip()
        if "@" not in email or len(email) > 320:
            raise InvalidInput("email must be a valid address", field="email")
        if len(password) < 8:
            raise InvalidInput("password must have at least 8 characters", field="password")
        with self.db.session() as s:
            return Users(s).add(email, self._hasher.hash(password), display_name)

    def login(self, email: str, password: str, client: str) -> tuple[User, str]:
        """Check a password (rate-limited per account and client); returns the user and a JWT."""
        key = f"{email.strip().lower()}|{client}"
        self.limiter.check(key)
        with self.db.session() as s:
            user = Users(s).by_email(email.strip())
        if user is None:
            self._hasher.verify(password, self._dummy_hash)
            ok = False
        else:
            ok = self._hasher.verify(password, user.password_hash)
        if not ok or user is None:
            self.limiter.record_failure(key)
            raise Unauthorized("wrong email or password")
        self.limiter.reset(key)
        return user, self.issue_token(user.id)

    def issue_token(self, user_id: str) -> str:
        """A signed login token for the user."""
        now = datetime.now(UTC)
        claims = {
            "sub": user_id,
            "iat": now,
            "exp": now + timedelta(minutes=self.settings.access_token_minutes),
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def user_from_token(self, token: str) -> User:
        """The user a JWT or API key belongs to, or Unauthorized."""
        if token.startswith(API_KEY_PREFIX):
            return self.user_from_api_key(token)
        try:
            claims: dict[str, Any] = jwt.decode(token, self._secret, algorithms=[_ALGORITHM])
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired; log in again") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("invalid token") from exc
        with self.db.session() as s:
            user = s.get(User, str(claims.get("sub")))
        if user is None:
            raise Unauthorized("invalid token")
        return user

    def create_api_key(self, user_id: str, name: str) -> tuple[ApiKey, str]:
        """A new API key; the plain key is returned once and never stored."""
        if not name.strip() or len(name) > 100:
            raise InvalidInput("name must be 1..100 characters", field="name")
        plain = API_KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.session() as s:
            key = ApiKeys(s).add(user_id, name.strip(), plain[:12], _hash_key(plain))
        return key, plain

    def list_api_keys(self, user_id: str) -> list[ApiKey]:
        """The user's keys (without secrets)."""
        with self.db.session() as s:
            return list(ApiKeys(s).for_user(user_id))

    def delete_api_key(self, user_id: str, key_id: str) -> None:
        """Revoke one of the user's keys."""
        with self.db.session() as s:
            ApiKeys(s).delete(user_id, key_id)

    def user_from_api_key(self, plain: str) -> User:
        """The owner of an API key, or Unauthorized."""
        with self.db.session() as s:
            key = ApiKeys(s).by_hash(_hash_key(plain))
            if key is None:
                raise Unauthorized("invalid API key")
            key.last_used_at = utcnow()
            return Users(s).get(key.user_id)

    def sign_asset(self, asset_id: str, kind: str, expires_in: int | None = None) -> tuple[int, str]:
        """(expiry, signature) letting a plain <img> fetch an asset without a header."""
        expires = int(time.time()) + (expires_in or self.settings.url_expires_seconds)
        return expires, self._signature(asset_id, kind, expires)

    def verify_asset(self, asset_id: str, kind: str, expires: int, signature: str) -> bool:
        """True when the signature is ours and not expired."""
        if expires < time.time():
            return False
        return hmac.compare_digest(self._signature(asset_id, kind, expires), signature)

    def _signature(self, asset_id: str, kind: str, expires: int) -> str:
        message = f"{asset_id}:{kind}:{expires}".encode()
        return hmac.new(self._secret.encode(), message, hashlib.sha256).hexdigest()[:40]
