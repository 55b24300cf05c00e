"""``newsarchive schedule``: crawl each site when its ``[schedule]`` says, locally or on scrapyd.

- :mod:`crawler.scheduler.timing`: when a site is due (``every``, ``cron``, adaptive intervals);
- :mod:`crawler.scheduler.state`: the scheduler's records and per-site locks in the crawl state;
- :mod:`crawler.scheduler.runners`: where crawls run (scrapyd nodes through their JSON API, or
  ``newsarchive crawl`` processes on this machine);
- :mod:`crawler.scheduler.service`: the cycle (collect finished crawls, start due ones) and loop;
- :mod:`crawler.scheduler.metrics`: the scheduler's Prometheus metrics;
- :mod:`crawler.scheduler.command`: the ``schedule`` and ``schedule status`` commands.

How a crawl went comes from the crawl itself: :mod:`crawler.extensions.siterun` records each
site's articles and pages in the crawl state the scheduler shares with the crawls.
"""
