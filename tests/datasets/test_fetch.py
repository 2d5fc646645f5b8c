"""Fetching MovieLens-100k, offline: archives are built here and the downloader is a fake."""

import hashlib
import io
import json
import urllib.error
import zipfile
from pathlib import Path

import pytest

from mindshare.core import InputError
from mindshare.datasets._fetch import (
    GROUPLENS_URL,
    RECBOLE_INDEX_URL,
    RECBOLE_RELEASE_URL,
    DatasetUnavailable,
    ProgressCallback,
    check_movielens_100k,
    download_bytes,
    fetch_movielens_100k,
    grouplens_zip_to_atomic,
    recbole_wheel_to_atomic,
)

INTER_HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float"
ITEM_HEADER = "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"
USER_HEADER = "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token"
WHEEL_URL = "https://files.example/recbole-1.2.1-py3-none-any.whl"


def flags(*on: int) -> str:
    return "|".join("1" if n in on else "0" for n in range(19))


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def full_size() -> tuple[dict[str, bytes], dict[str, str]]:
    """A synthetic MovieLens-100k in GroupLens form and the atomic files it converts to."""
    users, items = range(1, 944), range(1, 1683)
    u_data = "".join(
        f"{k % 943 + 1}\t{k % 1682 + 1}\t{k % 5 + 1}\t{880000000 + k}\n" for k in range(100_000)
    )
    u_item = "".join(
        f"{i}|Movie {i} (1995)|01-Jan-1995||http://imdb/{i}|{flags(1)}\n" for i in items
    )
    u_user = "".join(f"{u}|30|F|writer|5540{u % 10}\n" for u in users)
    grouplens = {
        "ml-100k/u.data": u_data.encode(),
        "ml-100k/u.item": u_item.encode("latin-1"),
        "ml-100k/u.user": u_user.encode(),
        "ml-100k/README": b"MovieLens",
    }
    atomic = {
        "ml-100k.inter": INTER_HEADER + "\n" + u_data,
        "ml-100k.item": ITEM_HEADER
        + "\n"
        + "".join(f"{i}\tMovie {i}\t1995\tAction\n" for i in items),
        "ml-100k.user": USER_HEADER + "\n" + u_user.replace("|", "\t"),
    }
    return grouplens, atomic


@pytest.fixture(scope="module")
def archives() -> tuple[bytes, bytes, dict[str, str]]:
    """(GroupLens zip, RecBole wheel, the atomic files both hold), full size."""
    grouplens, atomic = full_size()
    wheel = {
        f"recbole/dataset_example/ml-100k/{name}": text.encode() for name, text in atomic.items()
    }
    wheel["recbole/__init__.py"] = b""
    return zip_of(grouplens), zip_of(wheel), atomic


class FakeWeb:
    """A downloader over a dict of URL → body; a missing URL (or an exception body) fails."""

    def __init__(self, pages: dict[str, bytes | Exception]) -> None:
        self.pages = pages
        self.asked: list[tuple[str, str | None]] = []

    def __call__(
        self,
        url: str,
        *,
        timeout: float,
        accept: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> bytes:
        self.asked.append((url, accept))
        page = self.pages.get(url, urllib.error.HTTPError(url, 404, "Not Found", None, None))
        if isinstance(page, Exception):
            raise page
        if progress is not None:
            progress(0, len(page))
            progress(len(page), len(page))
        return page


def release_json(wheel: bytes) -> bytes:
    entry = {
        "packagetype": "bdist_wheel",
        "filename": "recbole-1.2.1-py3-none-any.whl",
        "url": WHEEL_URL,
        "digests": {"sha256": hashlib.sha256(wheel).hexdigest()},
    }
    sdist = {"packagetype": "sdist", "url": "https://files.example/x.tar.gz", "digests": {}}
    return json.dumps({"urls": [sdist, entry]}).encode()


UNREACHABLE = urllib.error.URLError("Name or service not known")


# -- converting the GroupLens archive ---------------------------------------------------


def test_grouplens_titles_lose_their_last_parenthesis_to_the_release_year() -> None:
    u_item = "\n".join(
        [
            f"1|Toy Story (1995)|01-Jan-1995||http://imdb/1|{flags(3, 4, 5)}",
            f"11|Seven (Se7en) (1995)|01-Jan-1995||http://imdb/11|{flags(6, 16)}",
            f"267|unknown||||{flags(0)}",
            f"543|Misérables, Les (1995)|01-Jan-1995||http://imdb/543|{flags(8, 12)}",
            f"1201|Marlene Dietrich: Shadow and Light (1996) |02-Apr-1996||x|{flags(7)}",
            "1412|Land Before Time III: The Time of the Great Giving (1995) (V)|01-Jan-1995||x|"
            + flags(3, 4),
        ]
    )
    archive = zip_of(
        {
            "ml-100k/u.data": b"1\t1\t5\t881250949\n",
            "ml-100k/u.item": (u_item + "\n").encode("latin-1"),
            "ml-100k/u.user": b"1|24|M|technician|85711\n",
        }
    )

    item = grouplens_zip_to_atomic(archive)["ml-100k.item"]

    # the rows of RecBole's own conversion (recbole/dataset_example/ml-100k/ml-100k.item)
    assert item.split("\n") == [
        ITEM_HEADER,
        "1\tToy Story\t1995\tAnimation Children's Comedy",
        "11\tSeven (Se7en)\t1995\tCrime Thriller",
        "267\tunkonwn\tunkonwn\tunknown",
        "543\tMisérables, Les\t1995\tDrama Musical",
        "1201\tMarlene Dietrich: Shadow and Light\t1996\tDocumentary",
        "1412\tLand Before Time III: The Time of the Great Giving (1995)\tV\tAnimation Children's",
        "",
    ]


def test_grouplens_interactions_and_people_keep_their_rows(
    archives: tuple[bytes, bytes, dict[str, str]],
) -> None:
    grouplens, _, atomic = archives

    files = grouplens_zip_to_atomic(grouplens)

    assert files == atomic


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ({"ml-100k/u.data": b"", "ml-100k/u.item": b""}, "no u.user"),
        (
            {"u.data": b"1\t2\t3\n", "u.item": b"", "u.user": b""},
            "u.data:1 has 3 fields, 4 expected",
        ),
    ],
)
def test_a_grouplens_archive_that_is_not_movielens_is_refused(
    members: dict[str, bytes], problem: str
) -> None:
    with pytest.raises(InputError, match=problem):
        grouplens_zip_to_atomic(zip_of(members))


def test_bytes_that_are_not_a_zip_are_refused() -> None:
    with pytest.raises(InputError, match="not a zip archive"):
        recbole_wheel_to_atomic(b"<html>404</html>")


# -- the RecBole wheel -------------------------------------------------------------------


def test_the_wheel_gives_its_three_files_unchanged(
    archives: tuple[bytes, bytes, dict[str, str]],
) -> None:
    _, wheel, atomic = archives

    assert recbole_wheel_to_atomic(wheel) == atomic


def test_a_wheel_without_the_dataset_is_refused() -> None:
    wheel = zip_of({"recbole/__init__.py": b""})

    with pytest.raises(InputError, match=r"no recbole/dataset_example/ml-100k/ml-100k\.inter"):
        recbole_wheel_to_atomic(wheel)


# -- checking and fetching -----------------------------------------------------------------


def test_an_incomplete_dataset_is_refused(archives: tuple[bytes, bytes, dict[str, str]]) -> None:
    files = dict(archives[2])
    files["ml-100k.inter"] = files["ml-100k.inter"].rsplit("\n", 2)[0] + "\n"

    with pytest.raises(InputError, match=r"99,999 interactions .* expected 100,000 interactions"):
        check_movielens_100k(files, source="GroupLens")


def test_fetch_converts_the_grouplens_archive_when_grouplens_answers(
    archives: tuple[bytes, bytes, dict[str, str]], tmp_path: Path
) -> None:
    grouplens, _, atomic = archives
    web = FakeWeb({GROUPLENS_URL: grouplens})
    seen: list[tuple[int, int | None]] = []

    folder = fetch_movielens_100k(
        tmp_path / "ml", download=web, progress=lambda done, total: seen.append((done, total))
    )

    assert folder == tmp_path / "ml"
    assert {p.name: p.read_text() for p in folder.iterdir()} == atomic
    assert [url for url, _ in web.asked] == [GROUPLENS_URL]
    assert seen[-1] == (len(grouplens), len(grouplens))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ml"]  # no temporary folder left


def test_fetch_falls_back_to_the_recbole_wheel_when_grouplens_cannot_be_reached(
    archives: tuple[bytes, bytes, dict[str, str]], tmp_path: Path
) -> None:
    _, wheel, atomic = archives
    web = FakeWeb({GROUPLENS_URL: UNREACHABLE, RECBOLE_RELEASE_URL: release_json(wheel)})
    web.pages[WHEEL_URL] = wheel

    folder = fetch_movielens_100k(tmp_path / "ml", download=web)

    assert {p.name: p.read_text() for p in folder.iterdir()} == atomic
    assert [url for url, _ in web.asked] == [GROUPLENS_URL, RECBOLE_RELEASE_URL, WHEEL_URL]


def test_the_wheel_is_found_in_the_simple_index_when_the_release_json_fails(
    archives: tuple[bytes, bytes, dict[str, str]], tmp_path: Path
) -> None:
    _, wheel, atomic = archives
    index = {
        "files": [
            {
                "filename": "recbole-1.2.1-py3-none-any.whl",
                "url": WHEEL_URL,
                "hashes": {"sha256": hashlib.sha256(wheel).hexdigest()},
            }
        ]
    }
    web = FakeWeb({RECBOLE_INDEX_URL: json.dumps(index).encode(), WHEEL_URL: wheel})

    fetch_movielens_100k(tmp_path / "ml", download=web)

    assert (tmp_path / "ml" / "ml-100k.item").read_text() == atomic["ml-100k.item"]
    assert (RECBOLE_INDEX_URL, "application/vnd.pypi.simple.v1+json") in web.asked


def test_a_wheel_that_does_not_match_its_listed_digest_is_refused(
    archives: tuple[bytes, bytes, dict[str, str]], tmp_path: Path
) -> None:
    _, wheel, _ = archives
    web = FakeWeb({RECBOLE_RELEASE_URL: release_json(wheel), WHEEL_URL: wheel + b"tampered"})

    with pytest.raises(DatasetUnavailable, match="does not match the sha256"):
        fetch_movielens_100k(tmp_path / "ml", download=web)
    assert not (tmp_path / "ml").exists()


def test_when_both_sources_fail_the_error_names_both(tmp_path: Path) -> None:
    web = FakeWeb({GROUPLENS_URL: UNREACHABLE, RECBOLE_RELEASE_URL: TimeoutError("timed out")})

    with pytest.raises(DatasetUnavailable) as caught:
        fetch_movielens_100k(tmp_path / "ml", download=web)

    assert str(caught.value) == (
        "MovieLens-100k could not be fetched. "
        f"GroupLens: {GROUPLENS_URL}: Name or service not known; "
        f"RecBole 1.2.1 on PyPI: {RECBOLE_RELEASE_URL}: timed out, "
        f"then {RECBOLE_INDEX_URL}: HTTP 404 Not Found"
    )
    assert isinstance(caught.value, InputError)


def test_an_invalid_grouplens_archive_also_falls_back(
    archives: tuple[bytes, bytes, dict[str, str]], tmp_path: Path
) -> None:
    _, wheel, atomic = archives
    truncated = zip_of(
        {"ml-100k/u.data": b"1\t1\t5\t1\n", "ml-100k/u.item": b"", "ml-100k/u.user": b""}
    )
    web = FakeWeb({GROUPLENS_URL: truncated, RECBOLE_RELEASE_URL: release_json(wheel)})
    web.pages[WHEEL_URL] = wheel

    fetch_movielens_100k(tmp_path / "ml", download=web)

    assert (tmp_path / "ml" / "ml-100k.inter").read_text() == atomic["ml-100k.inter"]


def test_fetching_again_replaces_the_files_of_an_existing_folder(
    archives: tuple[bytes, bytes, dict[str, str]], tmp_path: Path
) -> None:
    grouplens, _, atomic = archives
    folder = tmp_path / "ml"
    folder.mkdir()
    (folder / "ml-100k.inter").write_text("stale")
    (folder / "notes.txt").write_text("mine")

    fetch_movielens_100k(folder, download=FakeWeb({GROUPLENS_URL: grouplens}))

    assert (folder / "ml-100k.inter").read_text() == atomic["ml-100k.inter"]
    assert (folder / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ml"]


def test_a_folder_that_cannot_be_written_is_a_clear_error(
    archives: tuple[bytes, bytes, dict[str, str]], tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")

    with pytest.raises(InputError, match="cannot be written to"):
        fetch_movielens_100k(
            tmp_path / "taken" / "ml", download=FakeWeb({GROUPLENS_URL: archives[0]})
        )


def test_download_bytes_reports_progress_up_to_the_length(tmp_path: Path) -> None:
    body = bytes(range(256)) * 1000
    (tmp_path / "archive.zip").write_bytes(body)
    seen: list[tuple[int, int | None]] = []

    got = download_bytes(
        (tmp_path / "archive.zip").as_uri(),
        timeout=5.0,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert got == body
    assert seen[0] == (0, len(body))
    assert seen[-1] == (len(body), len(body))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
