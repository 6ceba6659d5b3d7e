"""GitHub App sign-in as github.com does it: a JWT signed with the App's private key buys an
installation access token, which then works like any other token until it expires."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

import jwt

from .clock import Clock

#: How long an installation token lasts on GitHub.
TOKEN_LIFETIME = 3600.0


@dataclass(frozen=True)
class AppIdentity:
    """The one GitHub App the emulator knows: its id, public key and installation."""

    app_id: int
    public_key_pem: str
    installation_id: int = 1


class AppTokens:
    """Checks App JWTs and hands out installation tokens."""

    def __init__(self, app: AppIdentity, clock: Clock) -> None:
        self.app = app
        self._clock = clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def jwt_is_valid(self, token: str) -> bool:
        """A JWT from the App: RS256 over its key, issued by its id, not expired."""
        try:
            claims = jwt.decode(
                token,
                self.app.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return False
        now = self._clock.now()
        # GitHub allows some clock drift; a JWT may live 10 minutes at most.
        return str(claims["iss"]) == str(self.app.app_id) and claims["iat"] - 60 <= now < claims["exp"] <= now + 660

    def issue(self) -> tuple[str, float]:
        """A new installation token and when it expires (epoch seconds)."""
        token = "ghs_" + secrets.token_hex(18)
        expires = self._clock.now() + TOKEN_LIFETIME
        with self._lock:
            self._tokens[token] = expires
        return token, expires

    def token_is_valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
        return expires is not None and self._clock.now() < expires

    @property
    def issued(self) -> int:
        """How many installation tokens were handed out."""
        with self._lock:
            return len(self._tokens)
