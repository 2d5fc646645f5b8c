"""Model names (as the CLI and the registry spell them) and the classes behind them.

Classes are imported on first use, so naming ``pop`` does not load PyTorch.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mindshare.core import InputError

if TYPE_CHECKING:
    from mindshare.models._base import AttentionModel

#: name → "module:Class"; the order is the order tables list models in.
MODEL_CLASSES: dict[str, str] = {
    "pop": "mindshare.models._linear:MostPopular",
    "itemknn": "mindshare.models._linear:ItemKNN",
    "als": "mindshare.models._factorization:ALS",
    "bpr": "mindshare.models._factorization:BPR",
    "ease": "mindshare.models._linear:EASE",
    "ease-recency": "mindshare.models._linear:RecencyEASE",
    "content": "mindshare.models._content:ContentModel",
    "sasrec": "mindshare.models._sasrec:SASRec",
    "fusion": "mindshare.models._fusion:FusionModel",
    "ensemble": "mindshare.models._ensemble:Ensemble",
}


def model_class(name: str) -> "type[AttentionModel]":
    """The class behind a model name; an unknown name lists the known ones."""
    try:
        module, _, attribute = MODEL_CLASSES[name].partition(":")
    except KeyError:
        known = ", ".join(MODEL_CLASSES)
        raise InputError(f"unknown model {name!r}; known models: {known}") from None
    model: type[AttentionModel] = getattr(import_module(module), attribute)
    return model


def create_model(name: str, **params: Any) -> "AttentionModel":
    """A new, unfitted model by name with the given hyperparameters."""
    model_type = model_class(name)
    try:
        return model_type(**params)
    except TypeError as error:
        raise InputError(f"bad parameters for model {name!r}: {error}") from None
