"""Shared PyTorch machinery of the sequence models: encoder, training loop, scoring, state.

A person's history is read as a window of their last ``max_len`` items, left-padded
with 0 (items are shifted by one; ``n_items + 1`` is the cloze mask token). The encoder
is a stack of pre-LN Transformer blocks (Kang & McAuley 2018, "Self-Attentive
Sequential Recommendation"), causal when predicting the next item and bidirectional
during masked-item pretraining (Sun et al. 2019, BERT4Rec). Training is
sequence-to-sequence: every position of every window predicts its next item with a
full softmax over the catalogue (as in Klenitskiy & Vasilev 2023, "Turning Dross Into
Gold Loss"), and the output layer is the input item table (weight tying).

Subclasses supply the item table: a plain embedding (``SASRec``) or a fusion of item
views (``FusionModel``).
"""

import math
import os
import time
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.evaluation import rank_held_out
from mindshare.models._base import AttentionModel, cosine_to_all

#: Sequences scored at once when ranking (bounds memory at batch × catalogue floats).
SCORE_BATCH = 256
#: Positions whose logits the training loss holds at once (a chunk × catalogue stays in cache).
LOSS_CHUNK = 256
#: Floor of a target's probability in the loss (the smallest normal float32).
TINY = torch.finfo(torch.float32).tiny
#: Most CPU threads a fit uses: beyond this, small matrices gain nothing.
MAX_THREADS = 8
#: Time-gap tokens: 0 padding, 1 a history's first item, 2 the same timestamp as the item
#: before, then one per doubling of the gap in milliseconds (the last one open-ended).
GAP_TOKENS = 32
#: The gap token of an item with the same timestamp as the item before it.
SAME_TIME = 2
#: Learning-rate schedules: constant, or one epoch of linear warm-up then a cosine decay
#: to zero at ``epochs`` (Loshchilov & Hutter 2017, "SGDR").
SCHEDULES = ("constant", "cosine")


class ItemTable(nn.Module):
    """Item vectors: row 0 is padding (zeros), rows 1..n the items, row n+1 the mask token."""

    @abstractmethod
    def forward(self) -> torch.Tensor:
        """The (n_items + 2) × hidden table."""


class ByteDropout(nn.Module):
    """Dropout whose mask comes from random bytes: drops with probability ``⌊256 p⌉ / 256``.

    The rate is rounded to a multiple of 1/256 (0.3 drops 0.3008, 0.1 drops 0.1016;
    below 1/512 nothing is dropped), at most 255/256.

    ``nn.Dropout`` draws one Bernoulli number per element, which on CPU took a third of a
    SASRec epoch; eight mask bytes from each random 64-bit integer cost a tenth as much.
    Kept elements are scaled by the exact inverse of the keep rate, as in ``nn.Dropout``.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.threshold = min(round(256 * p), 255)  # a byte below it drops its element

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.threshold == 0:
            return x
        count = math.ceil(x.numel() / 8)
        words = torch.randint(-(2**63), 2**63 - 1, (count,), dtype=torch.int64, device=x.device)
        keep = words.view(torch.uint8)[: x.numel()].view(x.shape) >= self.threshold
        return x * keep * (256 / (256 - self.threshold))


class Block(nn.Module):
    """One pre-LN Transformer block: self-attention, then a position-wise feed-forward."""

    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.attention_norm = nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.feed_norm = nn.LayerNorm(hidden)
        self.feed = nn.Sequential(
            nn.Linear(hidden, 4 * hidden),
            nn.GELU(),
            ByteDropout(dropout),
            nn.Linear(4 * hidden, hidden),
        )
        self.dropout = ByteDropout(dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """``allowed`` (batch × 1 × L × L, bool): which positions each position may read."""
        batch, length, hidden = x.shape
        q, k, v = (
            self.qkv(self.attention_norm(x))
            .view(batch, length, 3, self.heads, hidden // self.heads)
            .permute(2, 0, 3, 1, 4)
        )
        read = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        x = x + self.dropout(self.out(read.transpose(1, 2).reshape(batch, length, hidden)))
        out: torch.Tensor = x + self.dropout(self.feed(self.feed_norm(x)))
        return out


class SequenceNet(nn.Module):
    """Item table + learned positions + Transformer blocks + heads (next item, dwell)."""

    def __init__(
        self,
        items: ItemTable,
        *,
        n_items: int,
        hidden: int,
        layers: int,
        heads: int,
        max_len: int,
        dropout: float,
        time_gaps: bool,
        item_bias: bool = True,
    ) -> None:
        super().__init__()
        self.items = items
        self.n_items = n_items
        self.positions = nn.Embedding(max_len, hidden)
        self.gaps = nn.Embedding(GAP_TOKENS, hidden, padding_idx=0) if time_gaps else None
        self.input_norm = nn.LayerNorm(hidden)
        self.input_dropout = ByteDropout(dropout)
        self.blocks = nn.ModuleList(Block(hidden, heads, dropout) for _ in range(layers))
        self.output_norm = nn.LayerNorm(hidden)
        # without a learned bias, an item's score is all in its vector (fusion: its content)
        self.item_bias = nn.Parameter(torch.zeros(n_items), requires_grad=item_bias)
        self.dwell = nn.Linear(hidden, 1)
        nn.init.normal_(self.positions.weight, std=0.02)
        if self.gaps is not None:
            nn.init.normal_(self.gaps.weight, std=0.02)

    def encode(
        self, sequences: torch.Tensor, gaps: torch.Tensor, table: torch.Tensor, *, causal: bool
    ) -> torch.Tensor:
        """Hidden states (batch × L × hidden) of left-padded item sequences and their gaps."""
        length = sequences.shape[1]
        x = table[sequences] + self.positions.weight[-length:]
        if self.gaps is not None:
            x = x + self.gaps(gaps)
        x = self.input_dropout(self.input_norm(x))
        real = sequences > 0
        allowed = real[:, None, None, :].expand(-1, 1, length, -1)
        if causal:
            allowed = allowed & torch.ones(length, length, dtype=torch.bool).tril()
        # every position reads itself, so a padding row never attends to nothing (NaN)
        allowed = allowed | torch.eye(length, dtype=torch.bool)
        for block in self.blocks:
            x = block(x, allowed)
        out: torch.Tensor = self.output_norm(x)
        return out

    def logits(self, hidden: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """Scores of every item (tied output layer) for each hidden state."""
        scores: torch.Tensor = hidden @ table[1 : self.n_items + 1].T + self.item_bias
        return scores


class SequenceModel(AttentionModel):
    """A Transformer sequence recommender trained on every position of each history.

    Subclasses set ``name`` and build the item table in ``_item_table``. With
    validation items, ``fit`` evaluates NDCG@10 after every epoch (reading each prefix
    in its file order only, whatever ``tied_orders``), stops after ``patience`` epochs
    without improvement and keeps the best epoch's weights.
    """

    reads_prefix = True
    #: Scoring read the file's order only before ``tied_orders`` existed.
    defaults_for_older_artifacts: ClassVar[dict[str, Any]] = {"tied_orders": 1}

    #: Hyperparameters a subclass adds to the shared ones (saved and checked alike).
    extra_params: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        hidden: int = 64,
        layers: int = 2,
        heads: int = 2,
        max_len: int = 200,
        dropout: float = 0.3,
        lr: float = 5e-3,
        weight_decay: float = 0.01,
        batch_size: int = 64,
        epochs: int = 30,
        patience: int = 10,
        label_smoothing: float = 0.0,
        dwell_weight: float = 0.1,
        pretrain_epochs: int = 0,
        mask_prob: float = 0.2,
        horizon: int = 1,
        mask_seen: bool = True,
        time_gaps: bool = False,
        item_bias: bool = True,
        ema_decay: float = 0.99,
        shuffle_ties: bool = False,
        tied_orders: int = 1,
        schedule: str = "constant",
        seed: int = 0,
        **params: Any,
    ) -> None:
        unknown = sorted(set(params) - set(self.extra_params))
        if unknown:
            raise TypeError(f"unexpected hyperparameter(s) {', '.join(unknown)}")
        problems = [
            f"{label} (got {value})"
            for label, value, good in [
                ("hidden >= 1", hidden, hidden >= 1),
                ("layers >= 1", layers, layers >= 1),
                ("heads >= 1 dividing hidden", heads, heads >= 1 and hidden % max(heads, 1) == 0),
                ("max_len >= 1", max_len, max_len >= 1),
                ("0 <= dropout < 1", dropout, 0 <= dropout < 1),
                ("lr > 0", lr, lr > 0),
                ("weight_decay >= 0", weight_decay, weight_decay >= 0),
                ("batch_size >= 1", batch_size, batch_size >= 1),
                ("epochs >= 1", epochs, epochs >= 1),
                ("patience >= 1", patience, patience >= 1),
                ("0 <= label_smoothing < 1", label_smoothing, 0 <= label_smoothing < 1),
                ("dwell_weight >= 0", dwell_weight, dwell_weight >= 0),
                ("pretrain_epochs >= 0", pretrain_epochs, pretrain_epochs >= 0),
                ("0 < mask_prob < 1", mask_prob, 0 < mask_prob < 1),
                ("horizon >= 1", horizon, horizon >= 1),
                ("tied_orders >= 1", tied_orders, tied_orders >= 1),
                ("0 <= ema_decay < 1", ema_decay, 0 <= ema_decay < 1),
                ("schedule in {constant, cosine}", schedule, schedule in SCHEDULES),
            ]
            if not good
        ]
        if problems:
            raise InputError(f"{self.name} needs {'; '.join(problems)}")
        super().__init__(
            seed=seed,
            hidden=hidden,
            layers=layers,
            heads=heads,
            max_len=max_len,
            dropout=dropout,
            lr=lr,
            weight_decay=weight_decay,
            batch_size=batch_size,
            epochs=epochs,
            patience=patience,
            label_smoothing=label_smoothing,
            dwell_weight=dwell_weight,
            pretrain_epochs=pretrain_epochs,
            mask_prob=mask_prob,
            horizon=horizon,
            mask_seen=mask_seen,
            time_gaps=time_gaps,
            item_bias=item_bias,
            ema_decay=ema_decay,
            shuffle_ties=shuffle_ties,
            tied_orders=tied_orders,
            schedule=schedule,
            **params,
        )
        self.hidden, self.layers, self.heads, self.max_len = hidden, layers, heads, max_len
        self.dropout, self.lr, self.weight_decay = dropout, lr, weight_decay
        self.batch_size, self.epochs, self.patience = batch_size, epochs, patience
        self.label_smoothing, self.dwell_weight = label_smoothing, dwell_weight
        self.pretrain_epochs, self.mask_prob = pretrain_epochs, mask_prob
        self.horizon, self.mask_seen = horizon, mask_seen
        self.time_gaps, self.item_bias, self.schedule = time_gaps, item_bias, schedule
        self.ema_decay, self.shuffle_ties = ema_decay, shuffle_ties
        self.tied_orders = tied_orders
        self.net_: SequenceNet | None = None
        #: One entry per epoch: losses, seconds and, with validation, NDCG@10.
        self.history_: list[dict[str, float]] = []
        self.dwell_trained_ = False
        self.dwell_scale_ = np.zeros(2, np.float32)  # mean and std of log1p(weight)

    # -- what subclasses implement --------------------------------------------------

    @abstractmethod
    def _item_table(self, data: Interactions) -> ItemTable:
        """A fresh item table for ``data``'s catalogue (called at fit and at load)."""

    def _content_state(self) -> dict[str, npt.NDArray[Any]]:
        """Arrays the item table is built from (beyond its parameters), saved with them."""
        return {}

    # -- fitting --------------------------------------------------------------------

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        with _seeded_torch(self.seed):
            self.net_ = self._build(data)
            generator = np.random.default_rng(self.seed)
            # a stream of its own, so that data without ties trains the very same model
            shuffler = np.random.default_rng([self.seed, 1]) if self.shuffle_ties else None
            windows = _training_windows(data, self.max_len)
            self.dwell_trained_ = data.weight is not None and self.dwell_weight > 0
            optimizer = torch.optim.AdamW(
                self._parameter_groups(), lr=self.lr, weight_decay=self.weight_decay
            )
            steps_per_epoch = math.ceil(len(windows.sequences) / self.batch_size)
            scheduler = _scheduler(optimizer, self.schedule, steps_per_epoch, self.epochs)
            self.history_ = []
            for _ in range(self.pretrain_epochs):
                loss = self._cloze_epoch(windows, optimizer, generator)
                self.history_.append({"pretrain_loss": loss})
            users = None if valid is None else np.flatnonzero(valid >= 0)
            best: tuple[float, dict[str, torch.Tensor]] | None = None
            waited = best_epoch = 0
            average = _WeightAverage(self.net_, self.ema_decay) if self.ema_decay else None
            for epoch in range(1, self.epochs + 1):
                started = time.perf_counter()
                record = self._next_item_epoch(
                    windows, optimizer, scheduler, generator, average, shuffler
                )
                if users is not None and valid is not None and len(users):
                    with _averaged(self.net_, average), self._file_order_only():
                        report = rank_held_out(self.score_indices, data, data, valid, users)
                        record["valid_ndcg@10"] = ndcg = report.metrics((10,))["ndcg@10"]
                        if best is None or ndcg > best[0]:
                            best, waited, best_epoch = (ndcg, _copy(self.net_)), 0, epoch
                        else:
                            waited += 1
                record["seconds"] = time.perf_counter() - started
                self.history_.append(record)
                if waited >= self.patience:
                    break
            if best is not None:
                self.net_.load_state_dict(best[1])
                # a refit without validation (engine.train_model) trains as long as was best
                self.epochs = self.params["epochs"] = best_epoch
            elif average is not None:
                self.net_.load_state_dict(average.weights)
            self.net_.eval()

    @contextmanager
    def _file_order_only(self) -> Iterator[None]:
        """Scoring reads each prefix in its file order only (epochs are judged quickly)."""
        orders, self.tied_orders = self.tied_orders, 1
        try:
            yield
        finally:
            self.tied_orders = orders

    def _build(self, data: Interactions) -> SequenceNet:
        return SequenceNet(
            self._item_table(data),
            n_items=data.n_items,
            hidden=self.hidden,
            layers=self.layers,
            heads=self.heads,
            max_len=self.max_len,
            dropout=self.dropout,
            time_gaps=self.time_gaps,
            item_bias=self.item_bias,
        )

    def _parameter_groups(self) -> list[dict[str, Any]]:
        """Weight decay on matrices only, not on biases, norms or embeddings' padding."""
        assert self.net_ is not None
        decay: list[nn.Parameter] = []
        plain: list[nn.Parameter] = []
        for name, parameter in self.net_.named_parameters():
            if not parameter.requires_grad:
                continue
            (decay if parameter.ndim >= 2 and "norm" not in name else plain).append(parameter)
        return [{"params": decay}, {"params": plain, "weight_decay": 0.0}]

    def _next_item_epoch(
        self,
        windows: "_Windows",
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        generator: np.random.Generator,
        average: "_WeightAverage | None" = None,
        shuffler: np.random.Generator | None = None,
    ) -> dict[str, float]:
        net = self.net_
        assert net is not None
        net.train()
        if shuffler is not None:
            windows = shuffle_tied_runs(windows, shuffler.random(windows.sequences.shape))
        sequences = torch.from_numpy(windows.sequences)
        gaps = torch.from_numpy(windows.gaps)
        dwell = None
        if self.dwell_trained_ and windows.weights is not None:
            log_weight = np.log1p(windows.weights)
            seen = log_weight[:, 1:][windows.sequences[:, 1:] > 0]
            self.dwell_scale_ = np.array([seen.mean(), seen.std() + 1e-6], np.float32)
            dwell = torch.from_numpy((log_weight - self.dwell_scale_[0]) / self.dwell_scale_[1])
        totals = {"loss": 0.0, "dwell_loss": 0.0}
        batches = 0
        for rows, width in _batches(windows.sequences, self.batch_size, generator):
            batch = sequences[rows, -width:]
            inputs, targets = batch[:, :-1], batch[:, 1:]
            table = net.items()
            hidden = net.encode(inputs, gaps[rows, -width:-1], table, causal=True)
            present = targets > 0
            chosen = hidden[present]
            if self.horizon == 1 and self.label_smoothing == 0:
                reads = _ReadItems(inputs, present, net.n_items) if self.mask_seen else None
                loss = chunked_softmax_loss(
                    chosen, table[1 : net.n_items + 1], net.item_bias, targets[present] - 1, reads
                )
            else:
                logits = net.logits(chosen, table)
                if self.mask_seen:
                    # in place: the addition that made the logits keeps nothing for backward
                    read = _ReadItems(inputs, present, net.n_items).mask(0, len(chosen))
                    read[torch.arange(len(read)), targets[present] - 1] = False
                    logits.masked_fill_(read, float("-inf"))
                log_p = F.log_softmax(logits, dim=-1)
                loss = _cross_entropy(log_p, targets[present] - 1, self.label_smoothing)
                if self.horizon > 1:
                    loss = (loss + self._later_items_loss(log_p, batch, present)) / self.horizon
            totals["loss"] += loss.item()
            if dwell is not None:
                predicted = net.dwell(chosen).squeeze(-1)
                dwell_loss = F.mse_loss(predicted, dwell[rows, -width:][:, 1:][present])
                totals["dwell_loss"] += dwell_loss.item()
                loss = loss + self.dwell_weight * dwell_loss
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            scheduler.step()
            if average is not None:
                average.update(net)
            batches += 1
        return {key: value / max(batches, 1) for key, value in totals.items()}

    def _later_items_loss(
        self, log_p: torch.Tensor, batch: torch.Tensor, present: torch.Tensor
    ) -> torch.Tensor:
        """Cross-entropy of the items 2..``horizon`` places ahead (summed over places).

        Half of consecutive MovieLens ratings share a timestamp, so their order is the
        file's: predicting the next few items, not only the next, fits such data.
        """
        width = batch.shape[1] - 1
        ahead = torch.cat([batch[:, 1:], batch.new_zeros(len(batch), self.horizon)], dim=1)
        total = log_p.new_zeros(())
        for place in range(2, self.horizon + 1):
            target = ahead[:, place - 1 : place - 1 + width][present] - 1
            # a later item already read by this position (a repeat) is masked, so skipped
            known = target >= 0
            known[known.clone()] &= torch.isfinite(log_p[known, target[known]])
            if known.any():
                total = total + _cross_entropy(log_p[known], target[known], 0.0)
        return total

    def _cloze_epoch(
        self,
        windows: "_Windows",
        optimizer: torch.optim.Optimizer,
        generator: np.random.Generator,
    ) -> float:
        """One epoch of masked-item prediction with bidirectional attention."""
        net = self.net_
        assert net is not None
        net.train()
        sequences_np = windows.sequences
        sequences = torch.from_numpy(sequences_np[:, 1:])
        gaps = torch.from_numpy(windows.gaps[:, 1:])
        mask_token = net.n_items + 1
        total, batches = 0.0, 0
        for rows, width in _batches(sequences_np[:, 1:], self.batch_size, generator):
            batch = sequences[rows, -width:]
            real = batch > 0
            masked = torch.from_numpy(generator.random(tuple(batch.shape)) < self.mask_prob) & real
            # each window also masks its last item: the position fine-tuning predicts from
            masked[:, -1] |= real[:, -1]
            if not masked.any():
                continue
            inputs = batch.masked_fill(masked, mask_token)
            table = net.items()
            hidden = net.encode(inputs, gaps[rows, -width:], table, causal=False)
            loss = F.cross_entropy(net.logits(hidden[masked], table), batch[masked] - 1)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            total += loss.item()
            batches += 1
        return total / max(batches, 1)

    # -- scoring --------------------------------------------------------------------

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        sequences, gaps = _last_items(history, users, self.max_len)
        out = self._logits(sequences, gaps)
        # only prefixes with items at one time have other orders (shuffling keeps column 0)
        tied = np.flatnonzero((gaps[:, 2:] == SAME_TIME).any(axis=1))
        if self.tied_orders == 1 or not len(tied):
            return out
        prefixes = _Windows(sequences[tied], gaps[tied], None)
        for order in range(1, self.tied_orders):
            # each person's orders depend on the seed and the person only, not the batch
            noise = np.array(
                [
                    np.random.default_rng([self.seed, 2, order, user]).random(self.max_len)
                    for user in users[tied]
                ]
            )
            out[tied] += self._logits(shuffle_tied_runs(prefixes, noise).sequences, gaps[tied])
        out[tied] /= self.tied_orders
        return out

    def _logits(self, sequences_np: IntArray, gaps_np: IntArray) -> FloatArray:
        """Every item's score after each left-padded sequence (its last hidden state)."""
        net = self.net_
        assert net is not None
        lengths = (sequences_np > 0).sum(axis=1)
        order = np.argsort(lengths, kind="stable")  # similar lengths share a batch
        sequences, gaps = torch.from_numpy(sequences_np), torch.from_numpy(gaps_np)
        out = np.empty((len(sequences_np), net.n_items), np.float32)
        was_training = net.training
        net.eval()
        with torch.no_grad(), _threads():
            table = net.items()
            for start in range(0, len(sequences_np), SCORE_BATCH):
                rows = order[start : start + SCORE_BATCH]
                width = max(int(lengths[rows].max()), 1)
                window = sequences[rows, -width:], gaps[rows, -width:]
                last = net.encode(*window, table, causal=True)[:, -1]
                out[rows] = net.logits(last, table).numpy()
        net.train(was_training)
        return out

    def _item_similarity(self, rows: IntArray) -> FloatArray:
        """Cosine of the items' vectors in the table that both reads and scores them."""
        net = self.net_
        assert net is not None
        was_training = net.training
        net.eval()  # fusion hides id views at random only while training
        with torch.no_grad():
            table = net.items()[1 : net.n_items + 1].numpy()
        net.train(was_training)
        return cosine_to_all(table, rows)

    # -- state ----------------------------------------------------------------------

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        assert self.net_ is not None
        state = {f"net.{k}": v.detach().numpy().copy() for k, v in self.net_.state_dict().items()}
        state["dwell_trained"] = np.array(self.dwell_trained_)
        state["dwell_scale"] = self.dwell_scale_
        return state | {f"content.{k}": v for k, v in self._content_state().items()}

    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        self._load_content({k[8:]: v for k, v in state.items() if k.startswith("content.")})
        net = self._build(self.data)
        weights = {k[4:]: torch.from_numpy(v) for k, v in state.items() if k.startswith("net.")}
        net.load_state_dict(weights)
        net.eval()
        self.net_ = net
        self.dwell_trained_ = bool(state["dwell_trained"])
        self.dwell_scale_ = state["dwell_scale"]

    def _load_content(self, content: dict[str, npt.NDArray[Any]]) -> None:
        """Take back what ``_content_state`` saved (before the item table is rebuilt)."""


class _ReadItems:
    """Which items each predicting position of a batch of windows has already read.

    The evaluation protocol never ranks an item a person already read (except the
    held-out one), so training spends no probability mass on them either.
    """

    def __init__(self, inputs: torch.Tensor, present: torch.Tensor, n_items: int) -> None:
        batch, width = inputs.shape
        # the place of each item's first read in each window (width: never); int16 is enough
        first = torch.full((batch, n_items + 1), width, dtype=torch.int16)
        places = torch.arange(width, dtype=torch.int16)
        first.scatter_reduce_(1, inputs, places.expand(batch, -1), reduce="amin")
        self.first = first[:, 1:]
        self.row, column = present.nonzero(as_tuple=True)
        self.column = column.to(torch.int16)

    def mask(self, start: int, end: int) -> torch.Tensor:
        """(positions start..end × n_items), true where the item was read at or before it."""
        return self.first[self.row[start:end]] <= self.column[start:end, None]


class _ChunkedSoftmaxLoss(torch.autograd.Function):
    """Mean full-softmax cross-entropy of ``hidden @ items.T + bias``, a chunk of rows at a time.

    The forward pass also computes the gradients (softmax minus one-hot, through the
    two matrix products), so the positions × catalogue logits never exist whole and
    each chunk stays in cache (the idea of "fused linear cross-entropy" kernels, e.g.
    Wijmans et al. 2024, "Cut Your Losses in Large-Vocabulary Models"). On
    MovieLens-100k it took a SASRec epoch on one core from 12.6 s to 8.2 s.
    """

    @staticmethod
    def forward(
        ctx: Any,
        hidden: torch.Tensor,
        items: torch.Tensor,
        bias: torch.Tensor,
        targets: torch.Tensor,
        reads: "_ReadItems | None",
    ) -> torch.Tensor:
        count = len(hidden)
        grad_hidden = torch.empty_like(hidden)
        grad_items = torch.zeros_like(items)
        grad_bias = torch.zeros_like(bias)
        total = hidden.new_zeros(())
        for start in range(0, count, LOSS_CHUNK):
            end = min(start + LOSS_CHUNK, count)
            rows = torch.arange(end - start)
            target = targets[start:end]
            logits = torch.addmm(bias, hidden[start:end], items.T)
            if reads is not None:
                seen = reads.mask(start, end)
                seen[rows, target] = False
                logits.masked_fill_(seen, float("-inf"))
            gradient = torch.softmax(logits, dim=1)  # read items: 0
            total -= gradient[rows, target].clamp_min(TINY).log().sum()
            gradient[rows, target] -= 1.0
            grad_hidden[start:end] = gradient @ items
            grad_items.addmm_(gradient.T, hidden[start:end])
            grad_bias += gradient.sum(dim=0)
        scale = 1.0 / max(count, 1)
        ctx.save_for_backward(grad_hidden * scale, grad_items * scale, grad_bias * scale)
        return total * scale

    @staticmethod
    def backward(
        ctx: Any, grad_loss: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None, None]:
        grad_hidden, grad_items, grad_bias = ctx.saved_tensors
        return grad_hidden * grad_loss, grad_items * grad_loss, grad_bias * grad_loss, None, None


def chunked_softmax_loss(
    hidden: torch.Tensor,
    items: torch.Tensor,
    bias: torch.Tensor,
    targets: torch.Tensor,
    reads: _ReadItems | None = None,
) -> torch.Tensor:
    """Mean cross-entropy of each row of ``hidden`` predicting ``targets`` (item indices)
    over the whole catalogue (logits ``hidden @ items.T + bias``); with ``reads``, the
    items each position already read are left out of its softmax (its target kept).

    Equal to ``F.cross_entropy`` on the full logits, at a fraction of the memory traffic.
    """
    loss: torch.Tensor = _ChunkedSoftmaxLoss.apply(  # type: ignore[no-untyped-call]
        hidden, items, bias, targets, reads
    )
    return loss


def _cross_entropy(log_p: torch.Tensor, target: torch.Tensor, smoothing: float) -> torch.Tensor:
    """Mean cross-entropy from log-probabilities; smoothing spreads over unmasked items only."""
    nll = -log_p.gather(1, target[:, None]).squeeze(1)
    if smoothing > 0:
        finite = torch.isfinite(log_p)
        uniform = -torch.where(finite, log_p, 0.0).sum(dim=1) / finite.sum(dim=1)
        nll = (1 - smoothing) * nll + smoothing * uniform
    return nll.mean()


class _Windows:
    """Training windows: ``max_len + 1`` items each, left-padded; gaps and weights alongside."""

    def __init__(self, sequences: IntArray, gaps: IntArray, weights: FloatArray | None) -> None:
        self.sequences = sequences
        self.gaps = gaps
        self.weights = weights


def _training_windows(data: Interactions, max_len: int) -> _Windows:
    """Each history cut from its end into windows of ``max_len + 1`` items.

    Consecutive windows share one item (the input that predicts the later window's
    first target), so every interaction after a person's first is a target once.
    """
    rows: list[tuple[int, int]] = []  # (start, end) into the data arrays
    for user in range(data.n_users):
        first, end = int(data.indptr[user]), int(data.indptr[user + 1])
        while end - first >= 2:
            start = max(first, end - max_len - 1)
            rows.append((start, end))
            end = start + 1
    sequences = np.zeros((len(rows), max_len + 1), np.int64)
    gaps = np.zeros_like(sequences)
    gap_tokens = time_gap_tokens(data)
    weights = None if data.weight is None else np.zeros((len(rows), max_len + 1), np.float32)
    for row, (start, end) in enumerate(rows):
        sequences[row, max_len + 1 - (end - start) :] = data.item[start:end] + 1
        gaps[row, max_len + 1 - (end - start) :] = gap_tokens[start:end]
        if weights is not None and data.weight is not None:
            weights[row, max_len + 1 - (end - start) :] = data.weight[start:end]
    return _Windows(sequences, gaps, weights)


def shuffle_tied_runs(windows: _Windows, noise: npt.NDArray[np.float64]) -> _Windows:
    """The windows with each run of items that share a timestamp put in a random order.

    ``noise`` holds a uniform random number per cell of the windows; a run's items take
    the order of theirs.

    Within a timestamp (in MovieLens, a second), the order of a history is the source
    file's, not the person's, so a fresh order each epoch teaches the encoder that such
    a run is a set. Gap tokens stay with positions: a run's first position keeps the gap
    before the run, the others ``SAME_TIME``. A window's first column, which only the
    next window's targets read (it is the previous window's last target), stays put, so
    every item is still a target once per epoch.
    """
    sequences = windows.sequences
    starts = windows.gaps != SAME_TIME
    starts[:, 1:] |= sequences[:, :-1] == 0  # the first item after padding starts a run
    starts[:, 1:2] = True  # the first column is a run of its own
    runs = np.cumsum(starts, axis=1)
    order = np.argsort(runs + noise, axis=1)
    weights = None if windows.weights is None else np.take_along_axis(windows.weights, order, 1)
    return _Windows(np.take_along_axis(sequences, order, 1), windows.gaps, weights)


def _last_items(history: Interactions, users: IntArray, max_len: int) -> tuple[IntArray, IntArray]:
    """Each person's last ``max_len`` items (shifted by one) and their gap tokens, left-padded."""
    sequences = np.zeros((len(users), max_len), np.int64)
    gaps = np.zeros_like(sequences)
    gap_tokens = time_gap_tokens(history)
    for row, user in enumerate(users):
        end = int(history.indptr[user + 1])
        start = max(int(history.indptr[user]), end - max_len)
        sequences[row, max_len - (end - start) :] = history.item[start:end] + 1
        gaps[row, max_len - (end - start) :] = gap_tokens[start:end]
    return sequences, gaps


def time_gap_tokens(data: Interactions) -> IntArray:
    """Each interaction's gap to the person's previous one, as a token (see ``GAP_TOKENS``).

    Half of consecutive MovieLens ratings share their second, and their order within it
    is the file's: the gap tells the encoder which items form such a set, and how long
    a pause came before an item.
    """
    gap = np.diff(data.ts, prepend=data.ts[:1]).astype(np.float64)
    doublings = np.floor(np.log2(np.maximum(gap, 1.0))).astype(np.int64)
    tokens = np.where(gap <= 0, SAME_TIME, np.minimum(3 + doublings, GAP_TOKENS - 1))
    tokens[data.indptr[:-1][data.history_lengths() > 0]] = 1
    return tokens.astype(np.int64)


def _batches(
    sequences: IntArray, size: int, generator: np.random.Generator
) -> Iterator[tuple[torch.Tensor, int]]:
    """Batches of left-padded rows of similar length, in random order, with their width.

    Rows are sorted by length (ties broken at random), cut into batches, and the batches
    shuffled; a batch's ``width`` is its longest row, so padding columns are skipped.
    """
    lengths = (sequences > 0).sum(axis=1)
    order = np.lexsort((generator.random(len(lengths)), lengths))
    batches = [order[start : start + size] for start in range(0, len(order), size)]
    for index in generator.permutation(len(batches)):
        rows = batches[index]
        yield torch.from_numpy(rows), max(int(lengths[rows].max()), 1)


def _scheduler(
    optimizer: torch.optim.Optimizer, schedule: str, steps_per_epoch: int, epochs: int
) -> torch.optim.lr_scheduler.LRScheduler:
    factors = lr_factors(schedule, steps_per_epoch=steps_per_epoch, epochs=epochs)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: factors[min(step, len(factors) - 1)]
    )


def lr_factors(schedule: str, *, steps_per_epoch: int, epochs: int) -> list[float]:
    """The learning-rate multiplier of every optimiser step of a fit (see ``SCHEDULES``)."""
    total = max(steps_per_epoch * epochs, 1)
    if schedule == "constant":
        return [1.0] * total
    warmup = min(steps_per_epoch, total - 1)
    decay = total - warmup
    return [(step + 1) / (warmup + 1) for step in range(warmup)] + [
        0.5 * (1.0 + math.cos(math.pi * step / decay)) for step in range(decay)
    ]


def _copy(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


class _WeightAverage:
    """An exponential moving average of a network's weights, updated after every step.

    Averaged weights (Polyak & Juditsky 1992) smooth out the step-to-step noise of a
    high learning rate. The decay starts low, ``(1 + t) / (10 + t)`` at step ``t``, so
    the random initial weights fade out within the first steps.
    """

    def __init__(self, net: nn.Module, decay: float) -> None:
        self.decay = decay
        self.steps = 0
        self.weights = _copy(net)

    def update(self, net: nn.Module) -> None:
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        self.steps += 1
        with torch.no_grad():
            for name, value in net.state_dict().items():
                if value.is_floating_point():
                    self.weights[name].lerp_(value, 1.0 - decay)


@contextmanager
def _averaged(net: nn.Module, average: _WeightAverage | None) -> Iterator[None]:
    """The network holds the averaged weights inside the block (its own ones after)."""
    if average is None:
        yield
        return
    own = _copy(net)
    net.load_state_dict(average.weights)
    try:
        yield
    finally:
        net.load_state_dict(own)


def thread_count() -> int:
    """CPU threads available to this process, at most ``MAX_THREADS``."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, MAX_THREADS))


@contextmanager
def _threads() -> Iterator[None]:
    """Use the available cores, then give PyTorch's thread setting back."""
    before = torch.get_num_threads()
    torch.set_num_threads(thread_count())
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def _seeded_torch(seed: int) -> Iterator[None]:
    """PyTorch seeded and deterministic for one fit; the caller's settings restored afterwards.

    Deterministic algorithms and a fixed thread count (``_threads``) make a seed
    reproduce its model run after run.
    """
    deterministic = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]), _threads():
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(deterministic)


def log_count_feature(counts: IntArray) -> FloatArray:
    """log(1 + count) scaled to about [0, 1]: how much interaction evidence an item has."""
    logged = np.log1p(counts.astype(np.float64))
    return (logged / max(math.log1p(float(counts.max(initial=0))), 1.0)).astype(np.float32)
