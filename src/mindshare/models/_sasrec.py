"""SASRec: self-attentive sequential recommendation (Kang & McAuley 2018).

Items are learned vectors; the same table embeds the input and scores the output. The
model is trained sequence-to-sequence with a full softmax over the catalogue, jointly
with a dwell head when the data carries attention weights, and, optionally, after
BERT4Rec-style masked-item pretraining of the same encoder.
"""

import torch
from torch import nn

from mindshare.datasets import Interactions
from mindshare.models._sequence import ItemTable, SequenceModel


class _Embedding(ItemTable):
    def __init__(self, n_items: int, hidden: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(n_items + 2, hidden, padding_idx=0)
        nn.init.normal_(self.embedding.weight, std=0.02)
        with torch.no_grad():
            self.embedding.weight[0].zero_()

    def forward(self) -> torch.Tensor:
        return self.embedding.weight


class SASRec(SequenceModel):
    """Self-attentive sequential recommender over each person's last ``max_len`` items.

    Hyperparameters and their defaults are ``SequenceModel``'s, shared with fusion.

    Parameters
    ----------
    hidden, layers, heads:
        Width of item vectors and hidden states, Transformer blocks, attention heads.
    max_len:
        Items of each history read (the most recent ones).
    dropout, lr, weight_decay, batch_size, label_smoothing:
        Regularisation and AdamW settings; batches count windows of ``max_len + 1`` items.
    epochs, patience:
        Most epochs, and epochs without a better validation NDCG@10 before stopping.
    dwell_weight:
        Weight of the dwell loss (log1p of the next interaction's attention weight),
        trained only when the data has weights.
    pretrain_epochs, mask_prob:
        Epochs of masked-item pretraining before next-item training, and the share of
        items masked.
    horizon:
        Items ahead each position learns to predict (1: only the next; more suits
        data whose order within a timestamp is arbitrary).
    mask_seen:
        Leave items a window already read out of the training softmax (except its
        target), as the evaluation protocol leaves them out of the ranking.
    time_gaps:
        Add to each input item an embedding of its gap to the item before (same
        second, or how many doublings of seconds), so the encoder can tell the sets of
        ratings given in one second, whose order is the file's, from real sequences.
    schedule:
        ``"constant"`` learning rate, or ``"cosine"``: one epoch of warm-up, then a
        cosine decay to zero at ``epochs``.

    On MovieLens-100k (validation NDCG@10, 20 epochs, seed 0) a constant rate beat the
    cosine schedule (0.119 against 0.102) and gaps did not help (0.099 with cosine),
    so both stay off by default.
    """

    name = "sasrec"

    def _item_table(self, data: Interactions) -> ItemTable:
        return _Embedding(data.n_items, self.hidden)
