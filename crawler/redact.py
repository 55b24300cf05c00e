"""Secrets never reach a log line, a message or a manifest: the one place that scrubs them.

:func:`redact_url` hides a URL's password (``redis://user:***@host``, ``?password=***``); :func:`redact_text` does that
to every URL in a text and masks the values of the credential variables in the environment (AWS
keys), so a line built from an exception or a setting cannot leak them.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
MASK = "***"
# user:password@host, with a scheme or without one (Twisted names a bad host "user:pw@host").
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)?(?P<user>(?(scheme)[^:/@\s]*|[^:/@\s]+)):(?P<pw>[^@/\s]+)@"
)

# A password in a query (``redis://host/0?password=...``, which redis-py accepts).
_QUERY_PASSWORD = re.compile(r"(?i)(?P<name>[?&;](?:password|passwd|pwd)=)[^&#\s'\"]+")


def redact_url(url: str) -> str:
    """``url`` with its password masked (user and the rest kept)."""
    url = _QUERY_PASSWORD.sub(lambda m: f"{m['name']}{MASK}", url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def without_userinfo(url: str) -> str:
    """``url`` without user, password, query or fragment: for naming an endpoint."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def redact_text(text: str) -> str:
    """``text`` with URL passwords and the environment's credential values masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme'] or ''}{m['user']}:{MASK}@", text)
    text = _QUERY_PASSWORD.sub(lambda m: f"{m['name']}{MASK}", text)
    for name in SECRET_ENV:
        secret = os.environ.get(name)
        if secret:
            text = text.replace(secret, MASK)
    return text
