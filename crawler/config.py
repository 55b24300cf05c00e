"""Settings a user got wrong: one clear line naming the setting, whatever runs the crawl.

Each component reads its own settings and checks them in a ``check_settings(settings)`` classmethod
that it calls from ``from_crawler``; it raises :class:`ConfigError` with a line that names the
setting and what is wrong with it. :func:`check_settings` runs the check of every enabled component
(extensions, add-ons, downloader middlewares, item pipelines) before a crawl starts, so
``newsarchive crawl``, ``scrapy crawl`` and a scrapyd job print the same line, and nothing is fetched.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Any

from scrapy.settings import BaseSettings, Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

# The component lists whose members may check their settings (each with Scrapy's base list).
COMPONENT_SETTINGS = ("ADDONS", "EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES")

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)


class ConfigError(Exception):
    """A problem the user can fix (a setting, a URI, credentials, a site file): one clear line."""


def with_defaults(values: Mapping[str, Any] | BaseSettings | None = None) -> BaseSettings:
    """``values`` as Scrapy settings: given settings as they are; a mapping (or None) over the
    project's defaults (``crawler/settings.py``), for code that runs outside a crawl."""
    if isinstance(values, BaseSettings):
        return values
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    given = {k: v for k, v in dict(values or {}).items() if v not in (None, "")}
    settings.update(given, priority="cmdline")
    return settings


@functools.cache
def project_defaults() -> BaseSettings:
    """The project's default settings (``crawler/settings.py``), frozen: for library code run
    outside a crawl (``newsarchive extract``, benchmarks) that needs the same defaults."""
    settings = with_defaults()
    settings.freeze()
    return settings


def check_settings(settings: BaseSettings, spidercls: type | None = None) -> None:
    """Run ``check_settings`` of every enabled component (and of the spider class, if it has
    one); the first problem raises ConfigError."""
    seen: set[type] = set()
    if spidercls is not None and hasattr(spidercls, "check_settings"):
        spidercls.check_settings(settings)
    for name in COMPONENT_SETTINGS:
        components = settings.getwithbase(name) if f"{name}_BASE" in settings else settings[name]
        for path in build_component_list(components):
            cls = load_object(path)
            check = getattr(cls, "check_settings", None)
            if check is not None and cls not in seen:
                seen.add(cls)
                check(settings)


def size_setting(settings: BaseSettings, name: str, *, allow_zero: bool = False) -> int:
    """Bytes from an int or a string like ``16MB`` / ``16MiB`` / ``1.5G`` (binary multiples)."""
    return parse_size(settings.get(name), name, allow_zero=allow_zero)


def parse_size(value: Any, name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        m = _SIZE_RE.match(str(value))
        if not m:
            raise ConfigError(f"setting {name}={value!r}: not a size (use bytes or e.g. 16MB)")
        size = int(float(m.group(1)) * 1024 ** " kmgt".index(m.group(2).lower() or " "))
    if size < 0 or (size == 0 and not allow_zero):
        raise ConfigError(f"setting {name}={value!r}: must be more than 0")
    return size


def int_setting(settings: BaseSettings, name: str, *, minimum: int = 0) -> int:
    """A whole number of at least ``minimum``."""
    value = settings.get(name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum:
        raise ConfigError(f"setting {name}={value!r}: expected a whole number >= {minimum}")
    return number


def float_setting(
    settings: BaseSettings, name: str, *, minimum: float = 0.0, maximum: float | None = None
) -> float:
    """A number in ``[minimum, maximum]``."""
    value = settings.get(name)
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if (
        number is None
        or math.isnan(number)
        or number < minimum
        or (maximum is not None and number > maximum)
    ):
        bounds = f">= {minimum:g}" if maximum is None else f"in [{minimum:g}, {maximum:g}]"
        raise ConfigError(f"setting {name}={value!r}: expected a number {bounds}")
    return number


def choice_setting(settings: BaseSettings, name: str, choices: tuple[str, ...]) -> str:
    value = settings.get(name)
    choice = str(value).strip().lower()
    if choice not in choices:
        raise ConfigError(f"setting {name}={value!r}: expected one of {', '.join(choices)}")
    return choice


class ScrapySettings:
    """Checks Scrapy's own settings that a crawl depends on (an add-on: ``check_settings`` only).

    Scrapy reads them deep inside the engine, where a wrong value ends in a traceback.
    """

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        for name in ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN"):
            int_setting(settings, name, minimum=1)
        for name in ("DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT"):
            float_setting(settings, name)
        int_setting(settings, "DOWNLOAD_MAXSIZE")  # Scrapy reads it as a plain integer

    def update_settings(self, settings: BaseSettings) -> None:
        self.check_settings(settings)
