"""Attention models behind one interface: fit, score, recommend, save and load.

Names: pop, itemknn, als, bpr, ease, ease-recency, content, sasrec, fusion, ensemble
(``MODEL_CLASSES``); ``create_model(name, **params)`` builds one.
"""

from mindshare.models._base import (
    ARTIFACT_FORMAT,
    ArtifactError,
    AttentionModel,
    NotFitted,
    read_artifact_meta,
)
from mindshare.models._catalog import MODEL_CLASSES, create_model, model_class
from mindshare.models._registry import ModelRegistry, ModelVersion

__all__ = [
    "ARTIFACT_FORMAT",
    "MODEL_CLASSES",
    "ArtifactError",
    "AttentionModel",
    "ModelRegistry",
    "ModelVersion",
    "NotFitted",
    "create_model",
    "model_class",
    "read_artifact_meta",
]
