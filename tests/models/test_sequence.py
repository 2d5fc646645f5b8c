"""The sequence models' training: the chunked full softmax, the read-item mask, the
moving average of weights, the reordering of items that share a timestamp and dropout."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from hypothesis import given
from hypothesis import strategies as st

from mindshare.models import _sequence
from mindshare.models._sequence import (
    SAME_TIME,
    ByteDropout,
    _averaged,
    _ReadItems,
    _WeightAverage,
    _Windows,
    chunked_softmax_loss,
    shuffle_tied_runs,
)


def test_byte_dropout_drops_at_its_rounded_rate_and_keeps_the_expectation() -> None:
    dropout = ByteDropout(0.3)  # 77 of 256 byte values drop: a rate of 0.30078
    torch.manual_seed(0)
    x = torch.ones(1_000_000)
    out = dropout(x)
    kept = out > 0
    # five standard errors of a binomial share over a million draws
    assert (~kept).float().mean().item() == pytest.approx(77 / 256, abs=5 * math.sqrt(0.21 / 1e6))
    assert torch.allclose(out[kept], torch.tensor(256 / 179))
    assert out.mean().item() == pytest.approx(1.0, abs=0.005)


def test_byte_dropout_passes_gradients_through_the_kept_elements_only() -> None:
    x = torch.randn(64, 32, requires_grad=True)
    out = ByteDropout(0.5)(x)
    out.sum().backward()  # type: ignore[no-untyped-call]
    assert x.grad is not None
    assert torch.equal(x.grad, (out != 0).float() * 2.0)


def test_byte_dropout_is_the_identity_when_evaluating_or_at_rate_zero() -> None:
    x = torch.randn(8, 8)
    assert torch.equal(ByteDropout(0.0)(x), x)
    assert torch.equal(ByteDropout(0.5).eval()(x), x)


def test_byte_dropout_repeats_under_the_same_seed() -> None:
    torch.manual_seed(1)
    first = ByteDropout(0.5)(torch.ones(1000))
    torch.manual_seed(1)
    assert torch.equal(ByteDropout(0.5)(torch.ones(1000)), first)


def test_byte_dropout_near_one_still_keeps_one_element_in_256() -> None:
    torch.manual_seed(0)
    out = ByteDropout(0.9999)(torch.ones(100_000))
    kept = (out > 0).float().mean().item()
    assert kept == pytest.approx(1 / 256, abs=5 * math.sqrt(1 / 256 / 1e5))
    assert torch.allclose(out[out > 0], torch.tensor(256.0))


def test_a_zero_hidden_state_spreads_the_softmax_evenly_over_the_catalogue() -> None:
    hidden, items = torch.zeros(3, 4), torch.randn(5, 4)
    loss = chunked_softmax_loss(hidden, items, torch.zeros(5), torch.tensor([0, 2, 4]))
    assert loss.item() == pytest.approx(math.log(5))


def test_items_already_read_leave_the_softmax_but_the_target_stays() -> None:
    # one window reads items 1, 2, 3 (shifted by one: item indices 0, 1, 2) then predicts
    inputs = torch.tensor([[1, 2, 3]])
    present = torch.tensor([[False, False, True]])
    reads = _ReadItems(inputs, present, n_items=5)
    # the last position has read items 0, 1, 2; its target is item 1 (a repeat)
    loss = chunked_softmax_loss(
        torch.zeros(1, 4), torch.randn(5, 4), torch.zeros(5), torch.tensor([1]), reads
    )
    assert loss.item() == pytest.approx(math.log(3))  # items 1, 3 and 4 remain


def test_chunks_give_the_loss_and_gradients_of_the_full_cross_entropy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_sequence, "LOSS_CHUNK", 3)
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(10, 4, generator=generator, requires_grad=True)
    items = torch.randn(7, 4, generator=generator, requires_grad=True)
    bias = torch.randn(7, generator=generator, requires_grad=True)
    targets = torch.randint(0, 7, (10,), generator=generator)

    chunked = chunked_softmax_loss(hidden * 2, items, bias, targets)
    chunked.backward()  # type: ignore[no-untyped-call]
    chunked_grads = [t.grad.clone() for t in (hidden, items, bias) if t.grad is not None]
    for tensor in (hidden, items, bias):
        tensor.grad = None
    full = F.cross_entropy(hidden * 2 @ items.T + bias, targets)
    full.backward()  # type: ignore[no-untyped-call]

    assert chunked.item() == pytest.approx(full.item(), rel=1e-6)
    for mine, reference in zip(chunked_grads, (hidden.grad, items.grad, bias.grad), strict=True):
        assert reference is not None
        torch.testing.assert_close(mine, reference, rtol=1e-5, atol=1e-6)


def test_the_read_item_mask_marks_what_each_position_read_up_to_itself() -> None:
    inputs = torch.tensor([[0, 2, 1], [3, 3, 1]])  # 0 is padding; items shifted by one
    present = torch.tensor([[False, True, True], [True, False, True]])
    mask = _ReadItems(inputs, present, n_items=3).mask(0, 4)
    assert mask.tolist() == [
        [False, True, False],  # window 0, place 1: read item 1
        [True, True, False],  # window 0, place 2: read items 1 and 0
        [False, False, True],  # window 1, place 0: read item 2
        [True, False, True],  # window 1, place 2: read items 2 and 0
    ]


def test_the_weight_average_starts_fast_then_decays_at_its_rate() -> None:
    net = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    average = _WeightAverage(net, decay=0.5)
    torch.nn.init.ones_(net.weight)
    average.update(net)  # decay min(0.5, 1/10): 0 + 0.9 * (1 - 0)
    assert average.weights["weight"].item() == pytest.approx(0.9)
    torch.nn.init.constant_(net.weight, 2.0)
    average.update(net)  # decay min(0.5, 2/11)
    assert average.weights["weight"].item() == pytest.approx(0.9 + (1 - 2 / 11) * 1.1)
    for _ in range(20):
        average.update(net)  # from step 8 on, the decay is 0.5
    assert average.weights["weight"].item() == pytest.approx(2.0, abs=1e-4)


def test_the_network_holds_the_average_only_inside_the_block() -> None:
    net = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    average = _WeightAverage(net, decay=0.5)
    torch.nn.init.ones_(net.weight)
    with _averaged(net, average):
        assert net.weight.item() == 0.0
    assert net.weight.item() == 1.0


def test_items_of_one_timestamp_trade_places_only_among_themselves() -> None:
    # padding, then items 5 and 6 at one time, then 7 and 8 at a later one
    windows = _Windows(
        np.array([[0, 0, 5, 6, 7, 8]]),
        np.array([[0, 0, 1, SAME_TIME, 9, SAME_TIME]]),
        np.array([[0.0, 0.0, 50.0, 60.0, 70.0, 80.0]], np.float32),
    )
    generator = np.random.default_rng(0)
    orders = set()
    for _ in range(40):
        shuffled = shuffle_tied_runs(windows, generator.random((1, 6)))
        row = shuffled.sequences[0].tolist()
        assert row[:2] == [0, 0]
        assert sorted(row[2:4]) == [5, 6]
        assert sorted(row[4:]) == [7, 8]
        assert shuffled.weights is not None
        assert (shuffled.weights[0] == 10.0 * shuffled.sequences[0]).all()  # weights follow
        assert (shuffled.gaps == windows.gaps).all()  # gap tokens stay with their places
        orders.add(tuple(row))
    assert len(orders) == 4  # both runs are seen in both orders


def test_a_windows_first_column_stays_even_inside_a_run() -> None:
    # a full window cut inside a run: its first item (the previous window's last target)
    # shares its time with the next two, which still trade places
    windows = _Windows(
        np.array([[4, 5, 6, 7]]), np.array([[SAME_TIME, SAME_TIME, SAME_TIME, 5]]), None
    )
    generator = np.random.default_rng(0)
    rows = {
        tuple(shuffle_tied_runs(windows, generator.random((1, 4))).sequences[0]) for _ in range(30)
    }
    assert rows == {(4, 5, 6, 7), (4, 6, 5, 7)}


def test_a_history_without_shared_times_keeps_its_order() -> None:
    windows = _Windows(np.array([[0, 3, 1, 2]]), np.array([[0, 1, 4, 7]]), None)
    shuffled = shuffle_tied_runs(windows, np.random.default_rng(0).random((1, 4)))
    assert shuffled.sequences.tolist() == [[0, 3, 1, 2]]
    assert shuffled.weights is None


@given(st.data())
def test_shuffling_keeps_every_run_of_one_time_as_a_set_in_its_places(
    data: st.DataObject,
) -> None:
    rows, width = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 12))
    lengths = data.draw(st.lists(st.integers(0, width), min_size=rows, max_size=rows))
    sequences = np.zeros((rows, width), np.int64)
    gaps = np.zeros((rows, width), np.int64)
    for row, length in enumerate(lengths):
        sequences[row, width - length :] = data.draw(
            st.lists(st.integers(1, 50), min_size=length, max_size=length)
        )
        gaps[row, width - length :] = data.draw(
            st.lists(st.sampled_from([1, SAME_TIME, 3, 8]), min_size=length, max_size=length)
        )
    windows = _Windows(sequences.copy(), gaps.copy(), None)
    noise = np.random.default_rng(data.draw(st.integers(0, 99))).random((rows, width))
    shuffled = shuffle_tied_runs(windows, noise)
    for row, length in enumerate(lengths):
        start = width - length
        assert (shuffled.sequences[row, :start] == 0).all()
        places = list(range(start, width))
        while places:  # each run: a first place, then the places marked SAME_TIME
            run = [places.pop(0)]
            while places and gaps[row, places[0]] == SAME_TIME and places[0] != 1:
                run.append(places.pop(0))
            assert sorted(shuffled.sequences[row, run]) == sorted(sequences[row, run])
    assert (shuffled.gaps == gaps).all()
    assert (windows.sequences == sequences).all()
