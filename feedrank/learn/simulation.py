"""Training data from a simulated network: one logged request per feed the
simulator served, with the features the ranker could see at the time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from feedrank._time import from_micros, to_micros
from feedrank.batch._columns import _KIND_INDEX, KINDS
from feedrank.batch.context import Context
from feedrank.errors import InputError
from feedrank.learn.logged import LoggedRequest

if TYPE_CHECKING:
    from feedrank.datasets.network import SimulatedNetwork

__all__ = ["Label", "training_data_from_simulation"]


Label = Literal["click", "like", "click_or_like"]
"""The outcome used as the label of a shown post."""


def training_data_from_simulation(
    net: SimulatedNetwork,
    *,
    label: Label = "click",
    inverse_propensity: bool = False,
    propensity_floor: float = 0.0,
    as_of: Literal["session", "now"] = "session",
    viewers: Iterable[str] | None = None,
) -> list[LoggedRequest]:
    """Turn a simulated network's impression log into one :class:`LoggedRequest`
    per logged feed (session).

    Each request holds the posts shown in the session (in feed order), labels
    from the outcome ``label`` (``click``, ``like``, or ``click_or_like``: 1 if
    either) and, with ``inverse_propensity``, the examination propensities
    ``max((position + 1)^(−η), propensity_floor)``.

    ``as_of="session"`` (default) reconstructs what the ranker could see when
    the feed was served: the context's ``now`` is the session start, the
    batch's interaction counts are those logged before it (so a post's own
    click in this session does not leak into its features), and the viewer's
    ``seen`` set holds the posts shown in their earlier sessions (follows and
    interests are static in the simulator). ``as_of="now"`` uses the network as
    of ``net.now`` for every request (faster, but counts include the outcomes
    being predicted). ``viewers``: only the sessions of these viewer ids.

    Deterministic: the same network gives the same requests.
    """
    if label not in ("click", "like", "click_or_like"):
        raise InputError(
            f"label={label!r}", field="label", expected="'click', 'like' or 'click_or_like'"
        )
    if as_of not in ("session", "now"):
        raise InputError(f"as_of={as_of!r}", field="as_of", expected="'session' or 'now'")
    if not (0.0 <= propensity_floor <= 1.0):
        raise InputError(
            f"propensity_floor={propensity_floor!r}",
            field="propensity_floor",
            expected="a number in [0, 1]",
        )
    imp = net.impressions
    outcome = {
        "click": imp.clicked,
        "like": imp.liked,
        "click_or_like": imp.clicked | imp.liked,
    }[label].astype(np.float64)
    keep = np.ones(len(imp), dtype=bool)
    if viewers is not None:
        wanted = sorted(set(viewers))
        for vid in wanted:
            net.viewer_index(vid)  # InputError for an unknown viewer
        keep = np.isin(imp.viewer_id, np.array(wanted, dtype=np.str_))
    if not np.any(keep):
        return []
    base = net.batch()
    counts = _counts_at_sessions(net) if as_of == "session" else base.counts[imp.post_index]
    propensity = np.maximum(imp.propensity, propensity_floor)
    starts = np.flatnonzero(np.r_[True, np.diff(imp.session) != 0])
    stops = np.r_[starts[1:], len(imp)]
    authors = net.post_authors()
    shown: dict[str, set[str]] = {}
    interactions: dict[str, list[Any]] = {}
    now_ctx: dict[str, Context] = {}
    out: list[LoggedRequest] = []
    for lo, hi in zip(starts.tolist(), stops.tolist(), strict=True):
        vid = str(imp.viewer_id[lo])
        earlier = shown.setdefault(vid, set())
        post_ids = imp.post_id[lo:hi]
        if keep[lo]:
            rows = imp.post_index[lo:hi]
            batch = dataclasses.replace(base.take(rows), counts=counts[lo:hi].copy())
            if as_of == "session":
                viewer = net.viewer(vid).model_copy(update={"seen": frozenset(earlier)})
                if vid not in interactions:
                    interactions[vid] = net.interactions_of(vid)
                ctx = Context.build(
                    batch,
                    now=from_micros(int(imp.session_at[lo])),
                    viewer=viewer,
                    interactions=interactions[vid],
                    post_authors=authors,
                )
            else:
                if vid not in now_ctx:
                    now_ctx[vid] = net.context(vid)
                ctx = now_ctx[vid].take(rows)
            out.append(
                LoggedRequest(
                    batch=batch,
                    ctx=ctx,
                    labels=outcome[lo:hi].copy(),
                    propensities=propensity[lo:hi].copy() if inverse_propensity else None,
                    request_id=f"{vid}/session{int(imp.session[lo])}",
                )
            )
        earlier.update(post_ids.tolist())
    return out


def _counts_at_sessions(net: SimulatedNetwork) -> NDArray[np.int64]:
    """ndarray (m, len(KINDS)), int64: for every impression row, the post's
    interaction counts per kind logged strictly before the session started."""
    imp = net.impressions
    items = net.interactions
    m, k = len(imp), len(KINDS)
    if not items:
        return np.zeros((m, k), dtype=np.int64)
    post = net.post_index(np.array([i.post_id for i in items], dtype=np.str_))
    kind = np.array([_KIND_INDEX[i.kind] for i in items], dtype=np.int64)
    at = np.array([to_micros(i.at, field="interactions.at") for i in items], dtype=np.int64)
    # Rank-compress the times so the combined key stays far below 2**63.
    times, ranks = np.unique(np.concatenate([at, imp.session_at]), return_inverse=True)
    at_rank, session_rank = ranks[: at.shape[0]], ranks[at.shape[0] :]
    span = np.int64(times.shape[0] + 1)
    keys = np.sort((post.astype(np.int64) * k + kind) * span + at_rank)
    cell = (imp.post_index.astype(np.int64)[:, None] * k + np.arange(k)[None, :]) * span
    lo = np.searchsorted(keys, cell, side="left")
    hi = np.searchsorted(keys, cell + session_rank[:, None], side="left")
    return np.asarray(hi - lo, dtype=np.int64)
