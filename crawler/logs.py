"""Structured logs: every line, Scrapy's own included, goes through structlog.

JSON lines when stderr is not a terminal (``LOG_JSON=True`` forces them, ``False`` forbids them),
readable lines on a terminal. Secret values from the environment (AWS keys, passwords in URLs
such as ``REDIS_URL``) are masked in every line.

Scrapy builds (and, inside ``Crawler``, rebuilds) its root log handler itself, writing to stderr
or to ``LOG_FILE`` (scrapyd), with ``logging.Formatter(LOG_FORMAT)``. Two documented hooks route
it through structlog without touching Scrapy's code:

- :func:`install_structured_records` installs a log record factory
  (:func:`logging.setLogRecordFactory`): every record carries its structlog line as the attribute
  :data:`RECORD_ATTR`, rendered only when a handler formats the record (a DEBUG record the handler
  filters out is never rendered);
- ``crawler/settings.py`` sets ``LOG_FORMAT`` to :data:`LOG_FORMAT`, so Scrapy's handler prints
  exactly that line.

``crawler/settings.py`` installs the factory when Scrapy loads it, before Scrapy's version banner;
the :class:`StructuredLogs` extension applies ``LOG_JSON`` once the crawl's settings are known. So
``scrapy crawl``, scrapyd and ``newsarchive crawl`` log the same lines. Every ``newsarchive``
command logs through the root handler :func:`configure` installs: ``crawler.cli.main`` installs
it before the command runs, and a command re-installs it with its settings' ``LOG_LEVEL`` and
``LOG_JSON``. A server that answers in threads (``serve``, ``/metrics``) logs its connection
errors too, instead of letting ``socketserver`` print them.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import structlog

from crawler.redact import redact_text

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

RECORD_ATTR = "structlog_line"
LOG_FORMAT = f"%({RECORD_ATTR})s"  # the LOG_FORMAT of crawler/settings.py

# Set on a record by stdlib formatters (and by the record factory): never fields of the event.
_FORMATTER_ATTRS = ("message", "asctime", RECORD_ATTR)


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _drop_formatter_attrs(_logger, _name, event_dict: dict) -> dict:
    for key in _FORMATTER_ATTRS:
        event_dict.pop(key, None)
    return event_dict


def _redacted(value):
    """``value`` with every secret in it masked, however deep (lists, dicts) or however it will be
    rendered: an object (an exception, a path) becomes the text the renderer would print."""
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {_redacted(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(v) for v in value]
    return redact_text(str(value))


def _redact(_logger, _name, event_dict: dict) -> dict:
    for key, value in event_dict.items():
        event_dict[key] = _redacted(value)
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
        foreign_pre_chain=[
            *_shared_processors(),
            structlog.stdlib.ExtraAdder(),
            _drop_formatter_attrs,
        ],
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


class _StructuredLine:
    """A record's structlog line, rendered the first time a handler's formatter asks for it."""

    __slots__ = ("_formatter", "_line", "_record")

    def __init__(self, record: logging.LogRecord, formatter: logging.Formatter) -> None:
        self._record = record
        self._formatter = formatter
        self._line: str | None = None

    def __str__(self) -> str:
        if self._line is None:
            record = self._record
            self._line = self._formatter.format(record)
            # The line holds the traceback already; left on the record, logging.Formatter would
            # print it again after the line, as raw text (no longer one JSON object per line).
            record.exc_info = record.exc_text = record.stack_info = None
        return self._line


class StructuredRecordFactory:
    """A log record factory: the records of ``make_record`` (the factory it replaces), each with
    its structlog line as the attribute :data:`RECORD_ATTR`."""

    def __init__(self, make_record, json_lines: bool | None = None) -> None:
        self.make_record = make_record
        self.formatter = formatter(json_lines)

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.make_record(*args, **kwargs)
        setattr(record, RECORD_ATTR, _StructuredLine(record, self.formatter))
        return record


def install_structured_records(json_lines: bool | None = None) -> StructuredRecordFactory:
    """Give every log record from now on its structlog line (JSON lines or readable ones).

    Installs a :class:`StructuredRecordFactory` once; called again, it switches the lines of the
    records that follow between JSON and readable.
    """
    _configure_structlog()
    factory = logging.getLogRecordFactory()
    if isinstance(factory, StructuredRecordFactory):
        factory.formatter = formatter(json_lines)
        return factory
    factory = StructuredRecordFactory(factory, json_lines)
    logging.setLogRecordFactory(factory)
    return factory


class StructuredLogs:
    """Extension: apply ``LOG_JSON`` to the structured lines (see the module doc).

    ``crawler/settings.py`` already installed the record factory when Scrapy loaded it, so even
    the lines Scrapy logs before any component exists (its version banner) are structured; they
    are JSON unless stderr is a terminal, whatever ``LOG_JSON`` says.
    """

    def __init__(self, settings: BaseSettings) -> None:
        install_structured_records(json_lines_setting(settings))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StructuredLogs:
        return cls(crawler.settings)
