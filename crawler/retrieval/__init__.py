"""Getting things back: the index of captures and articles, and reading one record.

- :mod:`crawler.retrieval.index`: captures (from each WARC's CDXJ) and articles (from their
  ``metadata`` records) in SQLite beside the crawl state, or PostgreSQL (``ARCHIVE_INDEX_URL``);
- :mod:`crawler.retrieval.ingest`: fills it from a closed WARC (during the crawl) or from the
  archive alone (``newsarchive reindex``);
- :mod:`crawler.retrieval.reader`: one ranged read of one record (local or S3), revisits resolved
  to the record they refer to, as pywb does;
- :mod:`crawler.retrieval.timestamps`: the times users type.
"""
