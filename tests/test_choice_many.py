"""rank_many_chosen: many requests, each with its own choice, equal to ranking
each request alone under that choice."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import feedrank as fr
from feedrank.datasets import SimulatedNetwork, simulate
from feedrank.errors import InputError
from feedrank.spec import Choice, choose, rank_many_chosen

CHOICES: list[Choice | None] = [
    None,
    Choice(alternative="chronological"),
    Choice(settings={"interests": 0.5}),
    Choice(settings={"in_network": False, "max_age": 24}),
    Choice(),
]


@cache
def network() -> SimulatedNetwork:
    return simulate(rng=5, n_users=14, n_posts=150, hours=48.0)


def _requests(n: int) -> tuple[fr.PostBatch, np.ndarray, list[fr.Context], list[fr.PostBatch]]:
    net = network()
    full = net.batch()
    rng = np.random.default_rng(11)
    parts = [full.take(np.sort(rng.choice(len(full), size=40, replace=False))) for _ in range(n)]
    contexts = [net.context(net.viewers[i % len(net.viewers)].id, b) for i, b in enumerate(parts)]
    batch, offsets = fr.PostBatch.stack(parts)
    return batch, offsets, contexts, parts


def test_each_request_is_ranked_as_alone_under_its_choice() -> None:
    published = fr.preset("balanced")
    batch, offsets, contexts, parts = _requests(12)
    choices = [CHOICES[i % len(CHOICES)] for i in range(12)]
    out = rank_many_chosen(published, batch, contexts, offsets, choices, limit=10)
    assert len(out) == 12
    for ranking, part, ctx, choice in zip(out, parts, contexts, choices, strict=True):
        if choice is None:
            alone = published.rank(part, ctx, limit=10)
            assert ranking.choice is None
        else:
            chosen = choose(published, choice)
            alone = chosen.rank(part, ctx, limit=10)
            assert ranking.choice == chosen.stamp
        assert ranking.fingerprint == alone.fingerprint
        assert ranking.post_ids == alone.post_ids
        np.testing.assert_array_equal(ranking.page_scores, alone.page_scores)
        assert ranking.removed() == alone.removed()
    # request 1 chose chronological; request 0 made no choice; request 2 moved a weight
    assert out[1].fingerprint == fr.preset("chronological").fingerprint
    assert out[0].fingerprint == published.fingerprint != out[2].fingerprint


def test_a_bad_choice_names_its_request_and_nothing_is_ranked() -> None:
    batch, offsets, contexts, _ = _requests(3)
    bad = [None, None, Choice(settings={"interests": 9})]
    with pytest.raises(InputError) as err:
        rank_many_chosen(fr.preset("balanced"), batch, contexts, offsets, bad)
    assert err.value.field is not None
    assert "choices[2]" in str(err.value)
    with pytest.raises(InputError) as short:
        rank_many_chosen(fr.preset("balanced"), batch, contexts, offsets, [None])
    assert short.value.field == "choices"
