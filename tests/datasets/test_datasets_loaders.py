"""Interactions datasets: their order rule, and loading from RecBole folders and the store."""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.core import InputError, NotFound
from mindshare.datasets import Interactions, load_recbole_dataset, load_world_dataset
from mindshare.events import RecordKind, create_world


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_histories_are_in_time_order_with_ties_in_source_order() -> None:
    data = Interactions.from_arrays(
        name="t",
        users=["b", "a", "a", "a", "b"],
        items=["x", "y", "z", "x", "y"],
        ts=[5, 30, 10, 10, 1],
    )
    assert data.user_ids.tolist() == ["b", "a"]
    assert data.item_ids.tolist() == ["x", "y", "z"]
    assert [data.item_ids[i] for i in data.user_items(1)] == ["z", "x", "y"]
    assert [data.item_ids[i] for i in data.user_items(0)] == ["y", "x"]
    assert data.history_lengths().tolist() == [2, 3]
    assert data.item_counts().tolist() == [2, 2, 1]


def test_matrix_subset_and_fingerprint() -> None:
    data = Interactions.from_arrays(
        name="t", users=["a", "a", "b"], items=["x", "x", "y"], ts=[1, 2, 3]
    )
    assert data.matrix().toarray().tolist() == [[2.0, 0.0], [0.0, 1.0]]
    first = data.subset(data.ts < 2)
    assert len(first) == 1
    assert first.history_lengths().tolist() == [1, 0]
    assert first.fingerprint() != data.fingerprint()
    assert (
        data.fingerprint()
        == Interactions.from_arrays(
            name="other name", users=["a", "a", "b"], items=["x", "x", "y"], ts=[1, 2, 3]
        ).fingerprint()
    )


def test_bad_arrays_are_refused_with_the_reason() -> None:
    with pytest.raises(InputError, match="one entry per interaction"):
        Interactions.from_arrays(name="t", users=["a"], items=["x", "y"], ts=[1])
    with pytest.raises(InputError, match="not in the catalogue"):
        Interactions.from_arrays(name="t", users=["a"], items=["x"], ts=[1], item_ids=["y"])
    with pytest.raises(InputError, match="weights must be finite"):
        Interactions.from_arrays(name="t", users=["a"], items=["x"], ts=[1], weight=[np.nan])
    with pytest.raises(InputError, match="non-finite feature price"):
        Interactions.from_arrays(
            name="t",
            users=["a"],
            items=["x"],
            ts=[1],
            item_features={"x": [np.inf]},
            feature_names=("price",),
        )


def test_recbole_folder_with_text_columns_and_features(tmp_path: Path) -> None:
    write(
        tmp_path,
        "toy.inter",
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\tdwell_ms:float\n"
        "u1\ti1\t4\t100\t1500\nu1\ti2\t5\t100\t0\nu2\ti1\t3\t50\t200\n",
    )
    write(
        tmp_path,
        "toy.item",
        "item_id:token\tname:token_seq\tgenre:token_seq\tyear:token\tscore:float\n"
        "i1\tBlue Moon\tDrama\t1999\t0.5\ni2\tRed Sun\t\t2001\t1.5\ni3\tGreen\tComedy\t\t\n",
    )
    data = load_recbole_dataset(tmp_path)
    assert data.name == "toy"
    assert data.item_ids.tolist() == ["i1", "i2", "i3"]  # the catalogue includes unseen i3
    assert data.item_text == ("Blue Moon. Drama. 1999", "Red Sun. 2001", "Green. Comedy")
    assert data.feature_names == ("score",)
    assert data.item_features is not None
    assert data.item_features[:, 0].tolist() == [0.5, 1.5, 0.0]
    assert data.weight is not None
    assert sorted(data.weight.tolist()) == [0.0, 200.0, 1500.0]
    assert [data.item_ids[i] for i in data.user_items(0)] == ["i1", "i2"]
    assert data.ts[0] == 100_000  # milliseconds


@pytest.mark.parametrize(
    ("inter", "message"),
    [
        ("user_id:token\titem_id:token\n", "lacks the column"),
        ("user_id:token\titem_id:token\ttimestamp:float\n", "holds no interactions"),
        ("user_id:token\titem_id:token\ttimestamp:float\nu1\ti1\tsoon\n", "toy.inter:2"),
        ("user_id:token\titem_id:token\ttimestamp:float\nu1\t\t5\n", "must not be empty"),
        ("user_id:token\titem_id:token\ttimestamp:float\nu1\ti1\tnan\n", "finite number"),
    ],
)
def test_bad_recbole_files_name_the_problem_and_the_line(
    tmp_path: Path, inter: str, message: str
) -> None:
    write(tmp_path, "toy.inter", inter)
    with pytest.raises(InputError, match=message):
        load_recbole_dataset(tmp_path)


def test_bad_recbole_item_files_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "toy.inter", "user_id:token\titem_id:token\ttimestamp:float\nu1\ti1\t1\n")
    write(tmp_path, "toy.item", "item_id:token\tscore:float\ni1\tinf\n")
    with pytest.raises(InputError, match=r"toy.item:2: score is inf"):
        load_recbole_dataset(tmp_path)
    write(tmp_path, "toy.item", "item_id:token\ttitle:token_seq\ni1\tA\ni1\tB\n")
    with pytest.raises(InputError, match="listed twice"):
        load_recbole_dataset(tmp_path)


def test_movielens_100k_loads_whole(movielens_100k: Path) -> None:
    data = load_recbole_dataset(movielens_100k)
    assert (data.n_users, data.n_items, len(data)) == (943, 1682, 100_000)
    assert data.item_text[0] == "Toy Story. 1995. Animation Children's Comedy"
    assert data.weight is None  # MovieLens has no dwell time


def test_a_world_in_the_store_becomes_a_dataset_weighted_by_attention(
    database: sa.Engine,
) -> None:
    with database.begin() as connection:
        create_world(connection, "w", now_ms=0)

    def event(
        n: int, kind: str, user: str, item: str, dwell: int | None = None
    ) -> dict[str, object]:
        record: dict[str, object] = {
            "event_id": f"e{n}",
            "type": kind,
            "user_id": user,
            "item_id": item,
            "ts": f"2026-01-05T10:00:{n:02d}Z",
        }
        if dwell is not None:
            record |= {"dwell_ms": dwell, "visible_fraction": 1.0}
        return record

    engine.ingest_world(
        database,
        "w",
        {
            RecordKind.CREATORS: [{"creator_id": "c"}],
            RecordKind.ITEMS: [
                {
                    "item_id": "i1",
                    "kind": "content",
                    "creator_id": "c",
                    "title": "Moon",
                    "tags": ["sky"],
                },
                {
                    "item_id": "i2",
                    "kind": "asset",
                    "creator_id": "c",
                    "price_minor": 250,
                    "currency": "EUR",
                },
            ],
            RecordKind.EVENTS: [
                event(1, "impression", "u1", "i2"),
                event(2, "view", "u1", "i1", dwell=1500),
                event(3, "like", "u1", "i1"),
                event(4, "view", "u2", "i2", dwell=3000),
            ],
        },
        now=datetime(2026, 2, 1, tzinfo=UTC),
    )
    with database.connect() as connection:
        data = load_world_dataset(connection, "w")
    assert len(data) == 3  # the impression is not an interaction
    assert data.item_ids.tolist() == ["i1", "i2"]
    assert data.item_text == ("Moon. sky", "")
    assert data.weight is not None
    assert data.weight.tolist() == [1500.0, 0.0, 3000.0]
    assert data.item_features is not None
    assert data.item_features[:, 0].tolist() == [0.0, 250.0]


def test_a_world_without_interactions_or_existence_is_refused(database: sa.Engine) -> None:
    with database.begin() as connection:
        create_world(connection, "empty", now_ms=0)
    with database.connect() as connection:
        with pytest.raises(InputError, match="no interactions"):
            load_world_dataset(connection, "empty")
        with pytest.raises(NotFound, match="does not exist"):
            load_world_dataset(connection, "nowhere")
