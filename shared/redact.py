"""The one redaction function: every stored or returned error and every log line passes here.

Patterns catch secrets by shape (JWTs, PEM private keys, Entra client secrets, storage
account keys) and by the name they travel under (`client_secret=`, `"password": "..."`,
`sig=` in a SAS URL, `Authorization:` headers). Values that the configuration knows to be
secret are registered once at start-up and removed wherever they appear, also URL-encoded.
Redaction is idempotent and never raises: it sits on every error path.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 8
"""Shorter configured values are not matched literally: masking every `true` or `1234` would
destroy messages; such values are still caught when they travel under a secret's name."""

_NAMED = (
    r"client[_-]?secret|client[_-]?assertion|password|passwd|pwd|access[_-]?token|refresh[_-]?token"
    r"|id[_-]?token|accountkey|account[_-]?key|sharedaccesskey|sharedaccesssignature|sig|secret"
    r"|api[_-]?key|x-functions-key|code[_-]?verifier|presharedkey"
)
"""Names under which a secret travels as `name=value`, `name: value` or a JSON/Python member."""

_SCHEMES = r"(?:bearer|basic|pop|sharedkey(?:lite)?|digest|negotiate)"

_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # PEM private keys, whole block; a truncated block is masked to the end of the text.
    (
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|.*)",
            re.DOTALL,
        ),
        "[REDACTED PRIVATE KEY]",
    ),
    # Authorization headers in any rendering: `Authorization: Bearer x`, `'Authorization': 'Basic x'`.
    (
        re.compile(
            r"""((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:"""
            + _SCHEMES
            + r"""\s+)?(?!\[REDACTED)[^\s"',;}\]]+(?:\s*=+)?""",
            re.IGNORECASE,
        ),
        r"\1" + MASK,
    ),
    # Bearer credentials wherever they appear.
    (re.compile(r"\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE), r"\1" + MASK),
    # JWT-shaped strings (JWS and unsecured): base64url header starting `{"`, payload, signature.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    # Quoted members: "client_secret": "x", 'password': 'x' (unquoted values like null stay).
    (
        re.compile(r"""((["'])(?:""" + _NAMED + r""")\2\s*:\s*)(["'])(?:\\.|(?!\3).)*\3""", re.IGNORECASE),
        r"\1\3" + MASK + r"\3",
    ),
    # name=value in query strings, form bodies and connection strings; name: value in text.
    (
        re.compile(
            r"""(?<![\w-])((?:""" + _NAMED + r""")\s*(?:=|:(?![/\\]))\s*)(?!\[REDACTED)[^\s&;"'<>,]+""",
            re.IGNORECASE,
        ),
        r"\1" + MASK,
    ),
    # Entra client secrets (3 chars, a digit, `Q~`, then 31-34 chars; a full stop may follow).
    (re.compile(r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}(?![\w~-])"), MASK),
    # Storage account keys: 64 random bytes in base64 (88 characters ending in ==).
    (re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"), MASK),
)


class _SecretValues:
    """The configured secret values, longest first so a secret containing another is masked whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        variants = set()
        for value in values:
            if len(value) >= MIN_SECRET_LENGTH:
                variants.update({value, quote(value, safe=""), quote_plus(value, safe="")})
        with self._lock:
            self._values = self._values | variants
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def clear(self) -> None:
        with self._lock:
            self._values, self._pattern = frozenset(), None

    def sub(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text


_secret_values = _SecretValues()


def register_secret_values(values: Iterable[str]) -> None:
    """Add values to mask wherever they appear (settings does this for every secret it loads)."""
    _secret_values.add(values)


def clear_secret_values() -> None:
    """Forget registered values (tests; a worker never unlearns a secret)."""
    _secret_values.clear()


def redact(text: str) -> str:
    """`text` with every secret it contains replaced by `[REDACTED]`."""
    text = _secret_values.sub(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_SECRET_KEY = re.compile(r"^(?:" + _NAMED + r"|(?:proxy-)?authorization)$", re.IGNORECASE)


def redact_value(value: Any) -> Any:
    """A copy of a JSON-like value with every string redacted and members named like secrets masked."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            redact(str(k)): MASK if _SECRET_KEY.match(str(k)) and v not in (None, "") else redact_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Redacts a record's message, arguments, exception text and stack; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render the record's message now and keep only the redacted text (arguments may hold secrets)."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string: keep what was given, redacted
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


_install_lock = threading.Lock()
_installed = False


def install_log_redaction() -> None:
    """Redact every log record of the process when it is created, whatever logger or handler
    it goes to (filters on a logger miss records propagated from its children). Idempotent."""
    global _installed
    with _install_lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return redact_record(make_record(*args, **kwargs))

        logging.setLogRecordFactory(redacting_factory)
        _installed = True
