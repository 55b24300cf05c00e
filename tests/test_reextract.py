"""``newsarchive reextract``: today's cleaning over a crawl's archived pages, no network."""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid

import pytest

from tests.helpers import assert_bodies_agree, read_jsonl_gz, run_cli, write_demo_site_file


@pytest.fixture(scope="module")
def crawled(demo_site, tmp_path_factory):
    work = tmp_path_factory.mktemp("reextract")
    write_demo_site_file(work / "sites", demo_site.base_url)
    archive = work / "archive"
    crawl = run_cli("crawl", "demo", "--archive", str(archive), cwd=work)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    (manifest,) = archive.glob("manifests/*.json")
    return {"work": work, "archive": archive, "crawl_id": manifest.stem}


def test_reextract_with_the_same_extractor_gives_the_same_articles_and_keeps_the_old_set(
    crawled,
):
    archive, crawl_id = crawled["archive"], crawled["crawl_id"]
    (old_file,) = archive.glob(f"articles/{crawl_id}/*.jsonl.gz")
    old_sha = hashlib.sha256(old_file.read_bytes()).hexdigest()

    result = run_cli(
        "reextract",
        "--crawl",
        crawl_id,
        "--archive",
        str(archive),
        "--workers",
        "1",
        cwd=crawled["work"],
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert hashlib.sha256(old_file.read_bytes()).hexdigest() == old_sha  # the old set is kept
    (new_file,) = archive.glob(f"articles/{crawl_id}/reextract-*/articles.jsonl.gz")
    old = {a["url"]: a for a in read_jsonl_gz(old_file)}
    new = {a["url"]: a for a in read_jsonl_gz(new_file)}
    assert len(old) >= 20
    assert set(new) == set(old)
    for url, article in old.items():
        assert new[url]["body"] == article["body"], url
        assert new[url]["title"] == article["title"], url
        assert new[url]["capture"] == article["capture"], url
    summary = json.loads((new_file.parent / "summary.json").read_text())
    assert summary["same_body"] == len(old) and summary["changed_body"] == 0
    assert f"{len(old)} same text, 0 changed, 0 new, 0 no longer articles" in result.stdout
    assert "reextract.done" in result.stderr  # progress is logged


def test_reextract_of_an_unknown_crawl_fails_with_one_line(crawled):
    result = run_cli(
        "reextract", "--crawl", "nope", "--archive", str(crawled["archive"]), cwd=crawled["work"]
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"newsarchive: error: no crawl 'nope' in {crawled['archive']} (no manifests/nope.json)"
    ]


def test_reextract_applies_the_cleaning_settings_and_says_what_is_no_longer_an_article(crawled):
    archive, crawl_id = crawled["archive"], crawled["crawl_id"]
    result = run_cli(
        "reextract",
        "--crawl",
        crawl_id,
        "--archive",
        str(archive),
        "--workers",
        "1",
        "-s",
        "CLEAN_MIN_WORDS=100000",
        cwd=crawled["work"],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (old_file,) = archive.glob(f"articles/{crawl_id}/*.jsonl.gz")
    old = read_jsonl_gz(old_file)
    assert f"articles:         0 (was {len(old)})" in result.stdout
    assert f"{len(old)} no longer articles" in result.stdout
    assert "(too_short)" in result.stdout
    assert len(old) == len(read_jsonl_gz(old_file))  # the crawl's own set is untouched


def test_reextract_of_an_s3_archive_writes_the_new_set_into_the_bucket(s3_env, demo_site, tmp_path):
    bucket = s3_env.create_bucket(f"reextract-{uuid.uuid4().hex[:12]}")
    uri = f"s3://{bucket}/news"
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    crawl = run_cli("crawl", "demo", "--archive", uri, cwd=tmp_path)
    assert crawl.returncode == 0, crawl.stderr[-3000:]

    result = run_cli("reextract", "--archive", uri, "--workers", "1", cwd=tmp_path)

    assert result.returncode == 0, result.stderr[-3000:]
    s3 = s3_env.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]

    def articles(key: str) -> dict[str, str]:
        data = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return {a["url"]: a["body"] for a in map(json.loads, data.splitlines())}

    (old_key,) = [k for k in keys if k.startswith("news/articles/") and "/reextract-" not in k]
    (new_key,) = [k for k in keys if k.endswith("/articles.jsonl.gz") and "/reextract-" in k]
    assert_bodies_agree(articles(old_key), articles(new_key), "reextract")
    assert len(articles(old_key)) >= 20
