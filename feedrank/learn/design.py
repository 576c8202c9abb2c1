"""The training data as columns: every logged post's term signals, labels,
propensities and weights, and the preference pairs of each request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.learn.logged import LoggedRequest
from feedrank.spec.pipeline import Pipeline

__all__ = ["Design", "design_matrix"]

Floats = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Design:
    """The training data as columns (N posts of R requests, T terms, P pairs).

    - ``term_names``: the scorer's term names, in order (T).
    - ``inputs``: ndarray (N, T), float64, the term signals ``x`` of every post.
    - ``labels``: ndarray (N,), float64; NaN for posts of requests without labels.
    - ``propensities``: ndarray (N,), float64 in (0, 1] (1 where none given);
      ``has_propensities``: whether any request gave them.
    - ``weights``: ndarray (N,), float64 >= 0.
    - ``offsets``: ndarray (R + 1,), intp: request r holds rows ``offsets[r]:offsets[r+1]``.
    - ``pairs``: ndarray (P, 2), intp, global rows ``(preferred, other)``, sorted by
      request, then preferred row, then other row; ``pair_request``: (P,), intp.
    - ``request_ids``: the requests' names (R).
    """

    term_names: tuple[str, ...]
    inputs: Floats
    labels: Floats
    propensities: Floats
    has_propensities: bool
    weights: Floats
    offsets: NDArray[np.intp]
    pairs: NDArray[np.intp]
    pair_request: NDArray[np.intp]
    request_ids: tuple[str, ...]

    @property
    def n_requests(self) -> int:
        return len(self.request_ids)

    @property
    def n_posts(self) -> int:
        return int(self.inputs.shape[0])


def design_matrix(pipeline: Pipeline, requests: Sequence[LoggedRequest]) -> Design:
    """Compute the term signals of every logged post with ``pipeline.scorer`` and
    stack the requests into a :class:`Design`.

    Filters and re-rankers are not run: the logged posts are the ones that were
    shown, and all of them are training examples. Pairs are built here: for a
    request with ``preferences``, those; otherwise every ``(i, j)`` of the
    request with ``labels[i] > labels[j]``.
    """
    if not requests:
        raise InputError("no logged requests", field="requests", expected="at least one request")
    inputs: list[Floats] = []
    labels: list[Floats] = []
    props: list[Floats] = []
    weights: list[Floats] = []
    explicit: list[NDArray[np.intp]] = []
    sizes = np.zeros(len(requests), dtype=np.intp)
    names: list[str] = []
    for r, req in enumerate(requests):
        if not isinstance(req, LoggedRequest):
            raise InputError(
                f"request {r} is a {type(req).__name__}",
                field="requests",
                expected="LoggedRequest objects",
            )
        n = len(req.batch)
        sizes[r] = n
        names.append(req.request_id or f"request {r}")
        inputs.append(pipeline.scorer.score(req.batch, req.ctx).inputs)
        labels.append(req.labels if req.labels is not None else np.full(n, np.nan))
        props.append(req.propensities if req.propensities is not None else np.ones(n))
        weights.append(req.weights if req.weights is not None else np.ones(n))
        if req.preferences is not None:
            explicit.append(np.column_stack([req.preferences, np.full(len(req.preferences), r)]))
    offsets = np.zeros(len(requests) + 1, dtype=np.intp)
    np.cumsum(sizes, out=offsets[1:])
    label = np.concatenate(labels)
    has_pref = np.array([req.preferences is not None for req in requests], dtype=bool)
    pairs, pair_request = _pairs(label, offsets, has_pref, explicit)
    return Design(
        term_names=pipeline.scorer.term_names,
        inputs=np.concatenate(inputs).reshape(-1, len(pipeline.scorer.terms)),
        labels=label,
        propensities=np.concatenate(props),
        has_propensities=any(req.propensities is not None for req in requests),
        weights=np.concatenate(weights),
        offsets=offsets,
        pairs=pairs,
        pair_request=pair_request,
        request_ids=tuple(names),
    )


def _pairs(
    labels: Floats,
    offsets: NDArray[np.intp],
    has_pref: NDArray[np.bool_],
    explicit: list[NDArray[np.intp]],
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """All (i, j) of one request with labels[i] > labels[j] (vectorised), plus
    explicit preferences; sorted by (request, i, j)."""
    sizes = np.diff(offsets)
    seg = np.repeat(np.arange(sizes.shape[0], dtype=np.intp), sizes)
    use = ~has_pref[seg] & np.isfinite(labels)
    lows = np.full(sizes.shape[0], np.inf)
    np.minimum.at(lows, seg[use], labels[use])
    cand = np.flatnonzero(use & (labels > lows[seg])).astype(np.intp)
    reps = sizes[seg[cand]]
    first = np.repeat(cand, reps)
    starts = np.repeat(np.cumsum(reps) - reps, reps)
    other = offsets[seg[first]] + (np.arange(first.shape[0], dtype=np.intp) - starts)
    keep = labels[first] > labels[other]
    rows_i, rows_j = first[keep], other[keep].astype(np.intp)
    req = seg[rows_i]
    if explicit:
        more = np.concatenate(explicit)
        rows_i = np.concatenate([rows_i, offsets[more[:, 2]] + more[:, 0]])
        rows_j = np.concatenate([rows_j, offsets[more[:, 2]] + more[:, 1]])
        req = np.concatenate([req, more[:, 2]])
    order = np.lexsort((rows_j, rows_i, req))
    pairs = np.column_stack([rows_i[order], rows_j[order]]).astype(np.intp).reshape(-1, 2)
    return pairs, req[order].astype(np.intp)
