"""Credentials never reach a message or a file.

`register()` is told the secrets of the run (access key id, secret key, session token, external
ids); `redact()` replaces each of them — and anything shaped like a signature, a security-token
header or query parameter — with `***`. Every message the CLI prints and every coverage `detail`
passes through it.
"""

from __future__ import annotations

import re
import threading

_SECRETS: set[str] = set()
_lock = threading.Lock()
_SHAPES = re.compile(
    r"(?i)(x-amz-security-token|x-amz-signature|signature|credential|authorization|securitytoken|"
    r"aws_session_token|aws_secret_access_key)(['\"]?\s*[=:]\s*['\"]?)[^\s'\",&;]+"
)
MIN_LENGTH = 8  # shorter values ("testing") are not secrets worth hiding and would mangle text


def register(*secrets: str | None) -> None:
    with _lock:
        for secret in secrets:
            if secret:
                for variant in (secret, secret.strip(), repr(secret)[1:-1], repr(secret.encode())[2:-1]):
                    if len(variant) >= MIN_LENGTH:
                        _SECRETS.add(variant)


def redact(text: str) -> str:
    """`text` without any registered secret or credential-shaped value."""
    with _lock:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return _SHAPES.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
