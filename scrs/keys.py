"""The product's secrets (the pseudonymisation key, the access-log key) and demo mode.

Demo mode (`SCRS_DEMO_MODE=1`, `scrs run --demo`, `make demo`) is the one thing that allows the public demo
keys: synthetic data, throwaway warehouse. Outside it:

- `scrs run` and the Dagster job refuse to pseudonymise with the demo key (anyone holding the published demo
  key can reverse every pseudonym of a warehouse built with it);
- the access log refuses to write or verify without `SCRS_ACCESS_LOG_KEY`, which must differ from the
  pseudonymisation key (whoever may re-identify staff must not also be able to rewrite the log, and the other
  way round);
- the demo dashboard accounts are refused at sign-in (scrs/users.py).
"""

from __future__ import annotations

import os

from scrs.settings import DEMO_PSEUDONYM_KEY, Settings

DEMO_MODE_ENV = "SCRS_DEMO_MODE"
ACCESS_LOG_KEY_ENV = "SCRS_ACCESS_LOG_KEY"
# Clearly a demo value, used only in demo mode; a real deployment sets SCRS_ACCESS_LOG_KEY (a long random secret).
DEMO_ACCESS_LOG_KEY = "DEMO-ONLY-NOT-SECRET-access-log-key"
MIN_KEY_LENGTH = 16


class SecretKeyError(RuntimeError):
    """A secret is missing, is the demo value outside demo mode, or is reused for two purposes."""


class DemoKeyRefused(SecretKeyError):
    """The demo pseudonymisation key was about to be used outside demo mode."""


class AccessLogKeyMissing(SecretKeyError):
    """No usable access-log key (outside demo mode `SCRS_ACCESS_LOG_KEY` must be set)."""


def demo_mode() -> bool:
    """True when demo mode was asked for (`SCRS_DEMO_MODE` set to 1/true/yes)."""
    return os.environ.get(DEMO_MODE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def require_pseudonym_key(settings: Settings) -> str:
    """The pseudonymisation key to use; refuses the demo key unless demo mode was asked for."""
    if settings.pseudonym_key == DEMO_PSEUDONYM_KEY and not demo_mode():
        raise DemoKeyRefused(
            "refusing to pseudonymise with the public DEMO key: set SCRS_PSEUDONYM_KEY to a long random "
            f"secret, or ask for demo mode on synthetic data ({DEMO_MODE_ENV}=1 or `scrs run --demo`)"
        )
    return settings.pseudonym_key


def access_log_key() -> bytes:
    """The key of the access log's HMAC chain: `SCRS_ACCESS_LOG_KEY`, or the demo key in demo mode only."""
    key = os.environ.get(ACCESS_LOG_KEY_ENV, "")
    if not key:
        if demo_mode():
            return DEMO_ACCESS_LOG_KEY.encode("utf-8")
        raise AccessLogKeyMissing(
            f"{ACCESS_LOG_KEY_ENV} is not set: the access log needs its own secret key (a long random string, "
            f"not the pseudonymisation key), or demo mode ({DEMO_MODE_ENV}=1) on synthetic data"
        )
    if key == DEMO_ACCESS_LOG_KEY and not demo_mode():
        raise AccessLogKeyMissing(f"{ACCESS_LOG_KEY_ENV} is the public demo value: set a secret one")
    if len(key) < MIN_KEY_LENGTH:
        raise AccessLogKeyMissing(f"{ACCESS_LOG_KEY_ENV} is too short: use at least {MIN_KEY_LENGTH} characters")
    if key == os.environ.get("SCRS_PSEUDONYM_KEY"):
        raise AccessLogKeyMissing(f"{ACCESS_LOG_KEY_ENV} must differ from SCRS_PSEUDONYM_KEY")
    return key.encode("utf-8")
