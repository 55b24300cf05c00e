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


class StructuredLogs:
    """Extension: Scrapy's root log handler formats through structlog.

    ``Crawler`` rebuilds that handler after the extensions are built, through
    ``scrapy.utils.log._get_formatter``; so the formatter is installed there (the one place Scrapy
    builds it) as well as on the handler that exists now.
    """

    def __init__(self, settings) -> None:
        from scrapy.utils import log as scrapy_log

        _configure_structlog()
        json_lines = settings.get("LOG_JSON")
        if isinstance(json_lines, str):
            json_lines = json_lines.lower() in ("1", "true", "yes")
        ours = formatter(json_lines)
        scrapy_log._get_formatter = lambda handler, settings: ours
        handler = scrapy_log.get_scrapy_root_handler()
        handlers = [handler] if handler else logging.getLogger().handlers
        for h in handlers:
            if not isinstance(h.formatter, structlog.stdlib.ProcessorFormatter):
                h.setFormatter(ours)

    @classmethod
    def from_crawler(cls, crawler) -> StructuredLogs:
        return cls(crawler.settings)
