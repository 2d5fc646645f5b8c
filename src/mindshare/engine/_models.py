"""Training and evaluating attention models: split, fit, rank, register — composed once."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mindshare.datasets import Interactions
from mindshare.evaluation import evaluate_ranking, leave_last_out
from mindshare.models import AttentionModel, ModelRegistry, ModelVersion, create_model

#: A test item with fewer training interactions than this is a cold-start item.
COLD_ITEM_INTERACTIONS = 5


@dataclass(frozen=True)
class ModelEvaluation:
    """One model's numbers under the protocol: validation, test, and the cold-start slice."""

    model: str
    reads: str  # "prefix" (training and validation) or "train": what test-time input was
    train_s: float
    params: dict[str, Any]
    valid: dict[str, float]
    test: dict[str, float]
    cold: dict[str, float]

    def as_row(self) -> dict[str, Any]:
        """The flat JSON row ``mindshare evaluate --json`` prints (test metrics unprefixed)."""
        row: dict[str, Any] = {"model": self.model, **self.test, "train_s": self.train_s}
        row["valid_ndcg@10"] = self.valid["ndcg@10"]
        row.update({f"cold_{k}": v for k, v in self.cold.items()})
        row |= {"reads": self.reads, "params": self.params}
        return row


def evaluate_models(
    data: Interactions,
    names: Sequence[str],
    *,
    params: dict[str, dict[str, Any]] | None = None,
    seed: int = 0,
    on_model: Callable[[str], None] | None = None,
) -> list[ModelEvaluation]:
    """Fit each model on the training split (tuning on validation) and rank the test items.

    The test split is read once per model, after fitting. The cold-start slice holds
    the people whose test item had fewer than ``COLD_ITEM_INTERACTIONS`` training
    interactions.
    """
    split = leave_last_out(data)
    counts = split.train.item_counts()
    results = []
    for name in names:
        if on_model is not None:
            on_model(name)
        model = create_model(name, seed=seed, **(params or {}).get(name, {}))
        started = time.perf_counter()
        model.fit(split.train, valid=split.valid)
        train_s = time.perf_counter() - started
        valid = evaluate_ranking(model, split, "valid").metrics()
        test = evaluate_ranking(model, split, "test")
        cold = counts[split.test[test.users]] < COLD_ITEM_INTERACTIONS
        results.append(
            ModelEvaluation(
                model=name,
                reads="prefix" if model.reads_prefix else "train",
                train_s=round(train_s, 3),
                params=model.params,
                valid=_rounded(valid),
                test=_rounded(test.metrics()),
                cold=_rounded(test.restricted(cold).metrics()),
            )
        )
    return results


def train_model(
    data: Interactions,
    name: str,
    registry: ModelRegistry,
    *,
    params: dict[str, Any] | None = None,
    seed: int = 0,
) -> tuple[AttentionModel, ModelVersion]:
    """Tune on a validation split, then fit on all of ``data`` and register the result.

    The first fit (training split, validation for tuning and early stopping) yields
    the validation metrics recorded with the version; the second fit, on everything,
    uses the tuned parameters, so the served model has seen every interaction.
    """
    split = leave_last_out(data)
    started = time.perf_counter()
    tuned = create_model(name, seed=seed, **(params or {})).fit(split.train, valid=split.valid)
    metrics = _rounded(evaluate_ranking(tuned, split, "valid").metrics())
    final_params = {k: v for k, v in tuned.params.items() if k != "seed"}
    model = create_model(name, seed=seed, **final_params).fit(data)
    train_s = time.perf_counter() - started
    version = registry.register(
        model, metrics={f"valid_{k}": v for k, v in metrics.items()}, train_s=train_s
    )
    return model, version


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(np.round(v, 4)) for k, v in metrics.items()}
