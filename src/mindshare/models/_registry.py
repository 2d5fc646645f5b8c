"""Versioned model artifacts on disk, and which version each world serves.

Layout under the registry root (``<artifacts_dir>/models``)::

    <name>/<version>/model.json, state.npz   the artifact (``AttentionModel.save``)
    <name>/<version>/metadata.json           parameters, data fingerprint, metrics, time
    active.json                              {world: {"model": name, "version": v}}

Versions are 1, 2, 3 … per model name, allocated by creating the directory, so two
processes registering at once never share a version.
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mindshare.core import InputError, NotFound
from mindshare.models._base import AttentionModel
from mindshare.models._catalog import model_class

_METADATA = "metadata.json"
_ACTIVE = "active.json"


@dataclass(frozen=True)
class ModelVersion:
    """One registered artifact: what was trained, on what, and how well it did."""

    model: str
    version: int
    params: dict[str, Any]
    dataset: str
    fingerprint: str
    created_at: str
    train_s: float
    metrics: dict[str, float] = field(default_factory=dict)
    path: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class ModelRegistry:
    """The model artifacts under one directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def register(
        self, model: AttentionModel, *, metrics: dict[str, float], train_s: float
    ) -> ModelVersion:
        """Save a fitted model as the next version of its name, with its metadata."""
        data = model.data
        folder = self.root / model.name
        folder.mkdir(parents=True, exist_ok=True)
        version = max((v.version for v in self.versions(model.name)), default=0) + 1
        while True:
            try:
                (folder / str(version)).mkdir()
                break
            except FileExistsError:
                version += 1
        path = model.save(folder / str(version))
        entry = ModelVersion(
            model=model.name,
            version=version,
            params=model.params,
            dataset=data.name,
            fingerprint=data.fingerprint(),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            train_s=round(train_s, 3),
            metrics=metrics,
            path=str(path),
        )
        _write_json(path / _METADATA, entry.as_dict())
        return entry

    def versions(self, name: str | None = None) -> list[ModelVersion]:
        """Registered versions, of one model or of all, oldest first."""
        if name is not None:
            model_class(name)  # an unknown name is an error, not an empty list
        folders = (
            [self.root / name] if name else sorted(p for p in self.root.glob("*") if p.is_dir())
        )
        found = []
        for folder in folders:
            for metadata in folder.glob(f"*/{_METADATA}") if folder.is_dir() else ():
                found.append(_read_version(metadata))
        return sorted(found, key=lambda v: (v.model, v.version))

    def world_versions(self, world_id: str) -> list[ModelVersion]:
        """The versions a world may see: those trained on its data, and the one it is served by.

        The registry is shared by every world; one world never sees another's models.
        """
        active = self.active(world_id)
        return [
            v
            for v in self.versions()
            if v.dataset == world_id
            or (active is not None and (v.model, v.version) == (active.model, active.version))
        ]

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """One version's metadata; the newest when ``version`` is None."""
        versions = self.versions(name)
        if version is not None:
            versions = [v for v in versions if v.version == version]
        if not versions:
            which = f"version {version} of " if version is not None else "a version of "
            raise NotFound(f"there is no {which}model {name!r}: run `mindshare train` first")
        return versions[-1]

    def load(self, name: str, version: int | None = None) -> AttentionModel:
        """The fitted model of a registered version (the newest by default)."""
        return AttentionModel.load(self.get(name, version).path)

    def activate(self, world_id: str, name: str, version: int) -> ModelVersion:
        """Make ``name``/``version`` the model that world ``world_id`` is served by."""
        entry = self.get(name, version)
        active = self._active()
        active[world_id] = {"model": name, "version": version}
        _write_json(self.root / _ACTIVE, active)
        return entry

    def active(self, world_id: str) -> ModelVersion | None:
        """The version a world is served by, None when none was activated."""
        chosen = self._active().get(world_id)
        if chosen is None:
            return None
        return self.get(chosen["model"], chosen["version"])

    def _active(self) -> dict[str, dict[str, Any]]:
        path = self.root / _ACTIVE
        if not path.exists():
            return {}
        try:
            active = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"{path} is damaged: {error}") from None
        if not isinstance(active, dict):
            raise InputError(f"{path} is damaged: expected an object of worlds")
        return active


def _read_version(path: Path) -> ModelVersion:
    try:
        return ModelVersion(**json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError, TypeError) as error:
        raise InputError(f"{path} is damaged: {error}") from None


def _write_json(path: Path, value: Any) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as stream:
        json.dump(value, stream, indent=2)
        stream.write("\n")
    os.replace(temporary, path)
