"""``newsarchive wacz``: one crawl as a WACZ package that py-wacz validates and pywb replays."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.helpers import (
    PYWB_PYTHON,
    REPO,
    free_port,
    read_jsonl_gz,
    run_cli,
    wait_for_port,
    warc_files,
    write_demo_site_file,
)

WACZ_TOOL = Path(sys.executable).parent / "wacz"  # py-wacz, from the dev extra


def _crawl_id(archive: Path) -> str:
    (manifest,) = archive.glob("manifests/*.json")
    return manifest.stem


@pytest.fixture(scope="module")
def packaged(demo_site, tmp_path_factory):
    """One crawl of the demo site, packaged with ``newsarchive wacz``."""
    work = tmp_path_factory.mktemp("wacz")
    write_demo_site_file(work / "sites", demo_site.base_url)
    archive = work / "archive"
    crawl = run_cli("crawl", "demo", "--archive", str(archive), cwd=work)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    crawl_id = _crawl_id(archive)
    out = work / "demo.wacz"
    result = run_cli("wacz", crawl_id, "-o", str(out), "--archive", str(archive), cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    (articles_file,) = archive.glob(f"articles/{crawl_id}/*.jsonl.gz")
    return {
        "work": work,
        "archive": archive,
        "wacz": out,
        "stdout": result.stdout,
        "articles": read_jsonl_gz(articles_file),
    }


def _pages(wacz: Path) -> list[dict]:
    with zipfile.ZipFile(wacz) as z:
        return [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]


def test_wacz_passes_py_wacz_validate(packaged):
    check = subprocess.run(
        [WACZ_TOOL, "validate", "-f", str(packaged["wacz"])],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Validation succeeded" in check.stdout
    assert f"{len(packaged['articles'])} pages" in packaged["stdout"]


def test_datapackage_hashes_every_file_and_the_digest_hashes_the_datapackage(packaged):
    with zipfile.ZipFile(packaged["wacz"]) as z:
        package_bytes = z.read("datapackage.json")
        package = json.loads(package_bytes)
        digest = json.loads(z.read("datapackage-digest.json"))
        listed = {r["path"]: r for r in package["resources"]}
        members = {i.filename: i for i in z.infolist()}
        assert set(members) - {"datapackage.json", "datapackage-digest.json"} == set(listed)
        for path, resource in listed.items():
            data = z.read(path)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), path
            assert resource["bytes"] == len(data), path
        # the WARCs as archived, byte for byte, stored uncompressed (a reader seeks into them)
        for warc in warc_files(packaged["archive"]):
            info = members[f"archive/{warc.name}"]
            assert info.compress_type == zipfile.ZIP_STORED
            assert z.read(info) == warc.read_bytes()
    assert digest == {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
    }
    assert {"indexes/index.cdx", "pages/pages.jsonl"} <= set(listed)


def test_pages_list_every_exported_article_with_its_text(packaged):
    header, *pages = _pages(packaged["wacz"])
    assert header["format"] == "json-pages-1.0"
    articles = {a.get("final_url") or a["url"]: a for a in packaged["articles"]}
    assert len(articles) >= 20
    assert {p["url"] for p in pages} == set(articles)
    for page in pages:
        article = articles[page["url"]]
        assert page["title"] == article["title"]
        assert page["text"] == article["body"]
        assert page["ts"].endswith("Z") and page["ts"][:10] == article["capture"]["date"][:10]


def test_index_is_sorted_and_each_line_points_at_its_record_in_the_package(packaged):
    with zipfile.ZipFile(packaged["wacz"]) as z:
        lines = z.read("indexes/index.cdx").decode().splitlines()
        warcs = {n.removeprefix("archive/"): z.read(n) for n in z.namelist() if "archive/" in n}
    assert lines == sorted(lines)
    urls = set()
    for line in lines:
        fields = json.loads(line.split(" ", 2)[2])
        offset, length = int(fields["offset"]), int(fields["length"])
        blob = warcs[fields["filename"]][offset : offset + length]
        (record,) = list(ArchiveIterator(io.BytesIO(blob)))
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
        urls.add(fields["url"])
    assert {p["url"] for p in _pages(packaged["wacz"])[1:]} <= urls


@pytest.fixture
def pywb_wacz(tmp_path):
    """``replay(wacz) -> base URL``: a pywb collection made by pywb 2.8's own
    ``wb-manager add --unpack-wacz`` (it copies the WACZ's WARCs and merges *its* index)."""
    assert PYWB_PYTHON.exists(), "pywb is not installed: run `make test` (it creates .venv-pywb)"
    root = tmp_path / "pywb"
    root.mkdir()
    wb_manager = PYWB_PYTHON.parent / "wb-manager"
    procs: list[subprocess.Popen] = []

    def replay(wacz: Path) -> str:
        subprocess.run([wb_manager, "init", "demo"], cwd=root, check=True, capture_output=True)
        subprocess.run(
            [wb_manager, "add", "--unpack-wacz", "demo", str(wacz)],
            cwd=root,
            check=True,
            capture_output=True,
        )
        port = free_port()
        procs.append(
            subprocess.Popen(
                [PYWB_PYTHON, REPO / "tests" / "pywb_server.py", root, str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for_port(port)
        return f"http://127.0.0.1:{port}/demo"

    yield replay
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def test_pywb_replays_the_articles_from_the_wacz_as_the_site_sent_them(
    packaged, demo_site, pywb_wacz
):
    base = pywb_wacz(packaged["wacz"])
    pages = _pages(packaged["wacz"])[1:]
    for page in pages[:5]:
        stamp = page["ts"].replace("-", "").replace(":", "").replace("T", "").rstrip("Z")
        with urllib.request.urlopen(f"{base}/{stamp}id_/{page['url']}", timeout=30) as resp:
            replayed = resp.read()
        with urllib.request.urlopen(page["url"], timeout=30) as resp:
            live = resp.read()
        assert replayed == live, page["url"]


def test_wacz_of_an_s3_archive_holds_what_the_bucket_holds(s3_env, demo_site, tmp_path):
    bucket = s3_env.create_bucket(f"wacz-{uuid.uuid4().hex[:12]}")
    uri = f"s3://{bucket}/news"
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    crawl = run_cli("crawl", "demo", "--archive", uri, cwd=tmp_path)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    s3 = s3_env.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    (manifest_key,) = [k for k in keys if k.startswith("news/manifests/")]
    crawl_id = Path(manifest_key).stem
    out = tmp_path / "s3.wacz"
    result = run_cli("wacz", crawl_id, "-o", str(out), "--archive", uri, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]

    check = subprocess.run(
        [WACZ_TOOL, "validate", "-f", str(out)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout
    with zipfile.ZipFile(out) as z:
        for key in (k for k in keys if k.startswith("news/warc/")):
            stored = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert z.read(f"archive/{Path(key).name}") == stored
    exported = [
        line
        for key in keys
        if key.startswith("news/articles/")
        for line in gzip.decompress(
            s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        ).splitlines()
    ]
    assert len(_pages(out)) - 1 == len(exported) > 0


def test_wacz_of_an_unknown_crawl_fails_with_one_line(packaged):
    out = packaged["work"] / "nope.wacz"
    result = run_cli(
        "wacz",
        "demo-19990101T000000",
        "-o",
        str(out),
        "--archive",
        str(packaged["archive"]),
        cwd=packaged["work"],
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        (
            f"newsarchive: error: no crawl 'demo-19990101T000000' in {packaged['archive']} "
            "(no manifests/demo-19990101T000000.json)"
        )
    ]
    assert not out.exists()


def test_wacz_of_a_crawl_killed_before_its_manifest_packages_its_warcs(packaged, tmp_path):
    # What `kill -9` leaves once the next run has repaired it: WARCs and CDXJ, no manifest.
    archive = tmp_path / "archive"
    shutil.copytree(packaged["archive"], archive)
    (manifest,) = archive.glob("manifests/*.json")
    manifest.unlink()
    out = tmp_path / "crashed.wacz"
    result = run_cli("wacz", manifest.stem, "-o", str(out), "--archive", str(archive), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    check = subprocess.run(
        [WACZ_TOOL, "validate", "-f", str(out)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout
    with zipfile.ZipFile(out) as z:
        for warc in warc_files(archive):
            assert z.read(f"archive/{warc.name}") == warc.read_bytes()
    assert len(_pages(out)) == len(_pages(packaged["wacz"]))
