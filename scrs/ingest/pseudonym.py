"""Keyed pseudonyms for staff numbers: `'P-' || first 16 lowercase hex chars of HMAC-SHA256(key, value)`.

DuckDB computes the HMAC itself (RFC 2104 built from two SHA-256 calls over BLOBs) so a staff number never
leaves the query that reads it from the CSV: the pads derived from the key are passed as query parameters and
are never part of any SQL text, macro or table. `pseudonymise()` is the same function in Python, for tests
and for anyone who must look up the pseudonym of a known staff number.
"""

from __future__ import annotations

import hashlib
import hmac

_BLOCK = 64  # SHA-256 block size in bytes
PSEUDONYM_PREFIX = "P-"
PSEUDONYM_HEX_CHARS = 16
# A fixed probe whose pseudonym identifies the key without revealing it (used to catch a key change between
# landing and raw within one build).
_KEY_PROBE = "scrs-pseudonym-key-check"


def _key_bytes(key: str | bytes) -> bytes:
    k = key.encode("utf-8") if isinstance(key, str) else key
    if not k:
        raise ValueError("pseudonym key must not be empty")
    if len(k) > _BLOCK:
        k = hashlib.sha256(k).digest()
    return k.ljust(_BLOCK, b"\x00")


def hmac_pads(key: str | bytes) -> dict[str, bytes]:
    """Inner and outer HMAC pads as query parameters `ipad` / `opad`."""
    k = _key_bytes(key)
    return {"ipad": bytes(b ^ 0x36 for b in k), "opad": bytes(b ^ 0x5C for b in k)}


def pseudonym_sql(value_sql: str, ipad_param: str = "$ipad", opad_param: str = "$opad") -> str:
    """SQL expression giving the pseudonym of `value_sql` (a VARCHAR expression); NULL stays NULL."""
    inner = f"unhex(sha256({ipad_param} || encode({value_sql})))"
    return f"('{PSEUDONYM_PREFIX}' || left(sha256({opad_param} || {inner}), {PSEUDONYM_HEX_CHARS}))"


def pseudonymise(value: str | None, key: str | bytes) -> str | None:
    """Python twin of `pseudonym_sql` (identical output)."""
    if value is None:
        return None
    k = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(k, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]


def key_fingerprint(key: str | bytes) -> str:
    """Identifies a key (pseudonym of a fixed probe) so two steps can check they used the same one."""
    fp = pseudonymise(_KEY_PROBE, key)
    assert fp is not None
    return fp
