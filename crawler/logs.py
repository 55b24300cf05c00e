"""Structured logs: every line, Scrapy's own included, goes through structlog.

JSON lines when stderr is not a terminal (``LOG_JSON=True`` forces them, ``False`` forbids them),
readable lines on a terminal. Scrapy builds its root log handler inside ``Crawler``; the
:class:`StructuredLogs` extension swaps that handler's formatter for structlog's, so ``scrapy crawl``
and scrapyd runs log the same way as ``newsarchive crawl``. Secret values from the environment
(AWS keys, passwords in ``REDIS_URL``) are masked in every line.
"""

from __future__ import annotations

import logging
import os
import re
import sys

import structlog

_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _redact(_logger, _name, event_dict: dict) -> dict:
    secrets = [os.environ[k] for k in _SECRET_ENV if os.environ.get(k)]
    for key, value in event_dict.items():
        if isinstance(value, str):
            value = _URL_PASSWORD.sub(r"\g<scheme>\g<user>:***@", value)
            for secret in secrets:
                value = value.replace(secret, "***")
            event_dict[key] = value
    return event_dict


def formatter(json_lines: bool | None = None) -> logging.Formatter:
    """A logging formatter rendering stdlib records and structlog events alike."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    renderer = (
        structlog.processors.JSONRenderer(default=str)
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
    )


def configure(level: str | int = "INFO", json_lines: bool | None = None) -> logging.Handler:
    """Route structlog through stdlib logging and install one root handler (for the CLI)."""
    _configure_structlog()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(json_lines))
    # Scrapy sets its own loggers to DEBUG and filters in its handler: so must this one.
    handler.setLevel(level)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings become log lines too, not stray stderr text
    return handler


def _configure_structlog() -> None:
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def json_lines_setting(settings) -> bool | None:
    """``LOG_JSON`` as True/False, or None (unset: JSON unless stderr is a terminal)."""
    value = settings.get("LOG_JSON")
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


def install_scrapy_formatter(json_lines: bool | None = None) -> logging.Formatter:
    """Make Scrapy build its root log handler with our formatter, and re-format the current one.

    Scrapy builds (and, inside ``Crawler``, rebuilds) that handler through
    ``scrapy.utils.log._get_formatter``: the one place where its log lines can be routed through
    structlog from the first line on.
    """
    from scrapy.utils import log as scrapy_log

    _configure_structlog()
    ours = formatter(json_lines)
    scrapy_log._get_formatter = lambda handler, settings: ours
    handler = scrapy_log.get_scrapy_root_handler()
    for h in [handler] if handler else logging.getLogger().handlers:
        h.setFormatter(ours)
    return ours


class StructuredLogs:
    """Extension: apply ``LOG_JSON`` to the log handler Scrapy installed (see install_scrapy_formatter).

    ``crawler/settings.py`` already installs the formatter when Scrapy loads it, so even the
    lines Scrapy logs before any component exists (its version banner) are structured.
    """

    def __init__(self, settings) -> None:
        install_scrapy_formatter(json_lines_setting(settings))

    @classmethod
    def from_crawler(cls, crawler) -> StructuredLogs:
        return cls(crawler.settings)
