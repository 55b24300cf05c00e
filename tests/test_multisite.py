"""Issue 13: many sites in one crawl (``newsarchive crawl a b c | --all | --group NAME``).

Three demo sites, each its own news site on its own host (the Courier with its site file's article
patterns on 127.0.0.1, the legacy table site on 127.0.0.2, the content farm on ``localhost``; the
last two found by discovery), crawled by one ``newsarchive crawl --group`` process.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from crawler.demo_site import DemoSite, demo_manifest
from crawler.sites import SiteError, site_from_dict
from tests.helpers import (
    free_port,
    read_jsonl_gz,
    records,
    run_cli,
    run_scrapy_crawl,
    warc_files,
    write_demo_site_file,
)

GROUP = "harbour"


def _site_file(sites_dir, name: str, home: str, group: str | None = GROUP) -> None:
    line = f'group = "{group}"\n' if group else ""
    (sites_dir / f"{name}.toml").write_text(f'name = "{name}"\nstart_urls = ["{home}"]\n{line}')


@pytest.fixture(scope="module")
def harbour(tmp_path_factory):
    """Three demo sites serving, their site files in group "harbour", and a fourth site file of
    another group pointing at a port where nothing listens; yields (sites dir, articles by site)."""
    sites_dir = tmp_path_factory.mktemp("multisite") / "sites"
    with (
        DemoSite(host="127.0.0.1", port=0) as courier,
        DemoSite(host="127.0.0.2", port=0, template="legacy") as legacy,
        DemoSite(host="localhost", port=0, template="farm") as farm,
    ):
        demo = write_demo_site_file(sites_dir, courier.base_url)
        demo.write_text(
            demo.read_text().replace("[politeness]", f'group = ["{GROUP}", "x"]\n[politeness]')
        )
        _site_file(sites_dir, "ledger", legacy.template_manifest()["home"])
        _site_file(sites_dir, "newspoint", farm.template_manifest()["home"])
        _site_file(sites_dir, "elsewhere", f"http://127.0.0.3:{free_port()}/", group="other")
        courier_articles = demo_manifest(courier.base_url)["urls"].items()
        yield (
            sites_dir,
            {
                "demo": {u for u, e in courier_articles if e["kind"] == "article"},
                "ledger": set(legacy.template_manifest()["articles"]),
                "newspoint": set(farm.template_manifest()["articles"]),
            },
        )


def _events(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def _exported(archive) -> list[dict]:
    return [a for p in archive.glob("articles/*/*.jsonl.gz") for a in read_jsonl_gz(p)]


@pytest.fixture(scope="module")
def three_sites(harbour):
    """One ``newsarchive crawl --group harbour``."""
    sites_dir, truth = harbour
    work = sites_dir.parent
    result = run_cli(
        "crawl", "--group", GROUP, "--archive", str(work / "archive"),
        "--sites-dir", str(sites_dir), cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (summary,) = [e for e in _events(result.stderr) if e["event"] == "crawl.summary"]
    return {
        "result": result,
        "archive": work / "archive",
        "truth": truth,
        "articles": _exported(work / "archive"),
        "summary": summary,
    }


def test_one_crawl_of_three_sites_exports_each_sites_articles_under_its_name(three_sites):
    truth, articles = three_sites["truth"], three_sites["articles"]
    by_site: dict[str, set[str]] = {}
    for article in articles:
        by_site.setdefault(article["site"], set()).add(article["final_url"])
    assert set(by_site) == set(truth), "a site of the group is missing, or one outside it came"
    for name, urls in by_site.items():
        assert urls <= truth[name], (name, sorted(urls - truth[name]))
        assert len(urls) >= 0.98 * len(truth[name]), (name, sorted(truth[name] - urls))
    assert by_site["demo"] == truth["demo"]  # the site file's patterns: every article
    assert len(articles) == sum(len(u) for u in by_site.values()), "an article exported twice"


def test_one_process_writes_one_warc_stream_holding_all_three_sites(three_sites):
    archive = three_sites["archive"]
    (manifest_path,) = archive.glob("manifests/*.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["sites"] == ["demo", "ledger", "newspoint"]
    assert manifest["site"] is None
    files = warc_files(archive)
    assert {f.name for f in files} == {f["name"] for f in manifest["files"]}
    writers = {re.sub(r"^.*-(\d+)\.warc\.gz$", r"\1", f.name) for f in files}
    assert len(writers) == 1, f"WARCs from several processes: {writers}"
    hosts = Counter(
        urlsplit(r.rec_headers.get_header("WARC-Target-URI")).hostname
        for path in files
        for r in records(path)
        if r.rec_type == "response"
    )
    assert set(hosts) == {"127.0.0.1", "127.0.0.2", "localhost"}, hosts


def test_summary_counts_each_site_and_the_total(three_sites):
    summary, articles = three_sites["summary"], three_sites["articles"]
    exported = Counter(a["site"] for a in articles)
    sites = summary["sites"]
    assert list(sites) == ["demo", "ledger", "newspoint"]
    for name, counts in sites.items():
        assert counts["articles"] == exported[name], (name, counts)
        assert counts["pages"] > counts["articles"]  # sections, feeds, sitemaps beside them
    assert summary["articles"] == len(articles)  # the total fields as before
    assert sum(c["pages"] for c in sites.values()) == summary["pages"]
    assert sum(c["errors"] for c in sites.values()) == summary["errors"]

    # the same counts, one readable line per site and the total
    lines = three_sites["result"].stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["per", "site"])
    table = {}
    for line in lines[header + 1 : header + 5]:
        name, pages, exported_n, dropped, errors = line.split()
        table[name] = (int(pages), int(exported_n), int(dropped), int(errors))
    for name, counts in sites.items():
        expected = (counts["pages"], counts["articles"], counts["dropped"], counts["errors"])
        assert table[name] == expected, (name, table)
    assert table["total"][:2] == (summary["pages"], summary["articles"])


def test_unknown_group_or_site_is_one_line_and_nothing_is_crawled(tmp_path):
    sites_dir = tmp_path / "sites"
    sites_dir.mkdir()
    _site_file(sites_dir, "one", "http://127.0.0.1:9/")
    _site_file(sites_dir, "two", "http://127.0.0.1:9/", group="weekly")
    for args, names in [
        (["--group", "dailies"], ["unknown group 'dailies'", "harbour", "weekly"]),
        (["one", "nosuch"], ["unknown site 'nosuch'", "known sites: one, two"]),
        (["one", "--all"], ["--all or --group"]),
    ]:
        result = run_cli("crawl", *args, "--sites-dir", str(sites_dir), cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr[-2000:])
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("newsarchive: error: ") and all(n in line for n in names), line
    assert not (tmp_path / "archive").exists()

    scrapy = run_scrapy_crawl("-a", "sites=one,nosuch", "-s", f"SITES_DIR={sites_dir}",
                              cwd=tmp_path)  # fmt: skip
    assert scrapy.returncode == 2, scrapy.stderr[-2000:]
    assert "Traceback" not in scrapy.stderr
    (error,) = [e["error"] for e in _events(scrapy.stderr) if e["event"] == "crawl.config_error"]
    assert "unknown site 'nosuch'" in error


def test_all_crawls_every_site_file_and_a_dead_site_shows_its_own_errors(tmp_path):
    sites_dir = tmp_path / "sites"
    sites_dir.mkdir()
    for n, name in enumerate(["gone", "offline"]):  # nothing listens on these addresses
        _site_file(sites_dir, name, f"http://127.0.0.{n + 3}:{free_port()}/", group=None)
    result = run_cli("crawl", "--all", "--sites-dir", str(sites_dir), cwd=tmp_path)
    assert result.returncode == 4, result.stderr[-2000:]  # no server answered
    (summary,) = [e for e in _events(result.stderr) if e["event"] == "crawl.summary"]
    assert list(summary["sites"]) == ["gone", "offline"]
    assert all(c["errors"] > 0 and c["pages"] == 0 for c in summary["sites"].values())
    assert sum(c["errors"] for c in summary["sites"].values()) == summary["errors"]
    assert re.search(r"^    offline +0 +0 +0 +[1-9]", result.stdout, re.MULTILINE), result.stdout


def test_scrapy_crawl_takes_several_sites_as_scrapyd_passes_them(harbour, tmp_path):
    sites_dir, truth = harbour
    result = run_scrapy_crawl(
        "-a", "sites=ledger,newspoint", "-s", f"SITES_DIR={sites_dir}",
        "-s", f"ARCHIVE_URI={tmp_path / 'archive'}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    exported = Counter(a["site"] for a in _exported(tmp_path / "archive"))
    assert set(exported) == {"ledger", "newspoint"}
    (summary,) = [e for e in _events(result.stderr) if e["event"] == "crawl.summary"]
    assert {name: c["articles"] for name, c in summary["sites"].items()} == exported
    assert exported["ledger"] >= 0.98 * len(truth["ledger"])


@pytest.mark.parametrize(
    ("group", "ok"),
    [("daily", ("daily",)), (["daily", "eu"], ("daily", "eu")), ([], ()), (3, None),
     (["Daily News"], None), ([""], None)],
)  # fmt: skip
def test_group_field_is_a_name_or_a_list_of_names(group, ok):
    data = {"name": "a", "start_urls": ["https://a.example/"], "group": group}
    if ok is None:
        with pytest.raises(SiteError, match=r"a\.toml: field 'group': "):
            site_from_dict(data, source="a.toml")
    else:
        assert site_from_dict(data, source="a.toml").groups == ok
