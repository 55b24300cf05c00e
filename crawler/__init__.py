"""newsarchive: archive news sites as WARC files and publish clean, de-duplicated articles."""

__version__ = "0.1.0"
