"""The model registry: versions, metadata, loading and the active version per world."""

import json
from pathlib import Path

import numpy as np
import pytest
from test_conformance import obvious_world

from mindshare.core import InputError, NotFound
from mindshare.models import ModelRegistry, create_model


def test_versions_count_up_per_model_and_load_back(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    world = obvious_world()
    first = registry.register(create_model("pop").fit(world), metrics={"m": 1.0}, train_s=0.5)
    second = registry.register(create_model("pop").fit(world), metrics={}, train_s=0.1)
    ease = registry.register(create_model("ease", l2=10.0).fit(world), metrics={}, train_s=1)
    assert (first.version, second.version, ease.version) == (1, 2, 1)
    assert first.fingerprint == world.fingerprint()
    assert first.dataset == "obvious"
    assert [(v.model, v.version) for v in registry.versions()] == [
        ("ease", 1),
        ("pop", 1),
        ("pop", 2),
    ]
    assert registry.get("pop").version == 2
    assert registry.get("pop", 1).metrics == {"m": 1.0}
    loaded = registry.load("ease")
    assert loaded.params == {"seed": 0, "l2": 10.0}
    np.testing.assert_array_equal(
        loaded.score(["newcomer"]), create_model("ease", l2=10.0).fit(world).score(["newcomer"])
    )
    metadata = json.loads((tmp_path / "ease" / "1" / "metadata.json").read_text())
    assert {"params", "fingerprint", "metrics", "created_at", "train_s"} <= set(metadata)


def test_active_version_per_world(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.register(create_model("pop").fit(obvious_world()), metrics={}, train_s=0)
    assert registry.active("w1") is None
    registry.activate("w1", "pop", 1)
    active = registry.active("w1")
    assert active is not None
    assert (active.model, active.version) == ("pop", 1)
    assert registry.active("w2") is None
    with pytest.raises(NotFound, match="no version 7"):
        registry.activate("w1", "pop", 7)


def test_damaged_registry_files_are_reported(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.register(create_model("pop").fit(obvious_world()), metrics={}, train_s=0)
    (tmp_path / "active.json").write_text("{not json")
    with pytest.raises(InputError, match=r"active\.json is damaged"):
        registry.active("w1")
    (tmp_path / "pop" / "1" / "metadata.json").write_text("[]")
    with pytest.raises(InputError, match=r"metadata\.json is damaged"):
        registry.versions()
