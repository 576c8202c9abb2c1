"""Many requests at once, each with its viewer's own choice: :func:`rank_many_chosen`.

A simulation or a replay of many people ranks them together with
:meth:`Pipeline.rank_many <feedrank.spec.pipeline.Pipeline.rank_many>`; when
each person chose differently (an alternative, control values, or nothing),
the requests are grouped by the spec that ranks them (the effective spec of
each choice, or the published spec for a request without one) and every group
runs through the same engine at once. Each result equals what
:meth:`Chosen.rank <feedrank.spec.choice.Chosen.rank>` (or ``published.rank``
for no choice) gives for that request alone, and carries its choice.

>>> from datetime import datetime, timezone
>>> from feedrank import Context, Post, PostBatch, preset
>>> from feedrank.spec import Choice
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> one = PostBatch.from_posts([Post(id="old", author_id="a", created_at=t, counts={"like": 90}),
...                             Post(id="new", author_id="b", created_at=t.replace(hour=5))])
>>> batch, offsets = PostBatch.stack([one, one])
>>> now = t.replace(hour=6)
>>> contexts = [Context.build(one, now=now), Context.build(one, now=now)]
>>> out = rank_many_chosen(preset("balanced"), batch, contexts, offsets,
...                        [None, Choice(alternative="chronological")])
>>> [r.post_ids for r in out]
[['old', 'new'], ['new', 'old']]
>>> out[0].choice is None, out[1].choice.alternative
(True, 'chronological')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from feedrank.batch.segments import check_offsets
from feedrank.errors import InputError
from feedrank.spec.choice import Choice, Chosen, choose
from feedrank.spec.pipeline import Pipeline

if TYPE_CHECKING:
    from feedrank.batch.context import Context
    from feedrank.batch.posts import PostBatch
    from feedrank.engine.cursor import Cursor
    from feedrank.ranking.ranking import Ranking

__all__ = ["rank_many_chosen"]


def rank_many_chosen(
    published: Pipeline,
    batch: PostBatch,
    contexts: Sequence[Context],
    offsets: Any,
    choices: Sequence[Choice | None],
    *,
    limit: int | None = None,
    cursors: Sequence[str | Cursor | None] | None = None,
    specs: Mapping[str, Pipeline] | None = None,
    base_dir: str | Path | None = None,
) -> list[Ranking]:
    """Rank S requests (``batch`` and ``offsets`` as for ``Pipeline.rank_many``,
    one :class:`~feedrank.Context` per request) with one choice per request on
    ``published``'s menu and controls (None: the published spec as it is).

    Returns the S rankings in request order; ``result[i]`` equals the ranking of
    request ``i`` alone under its choice, ``result[i].choice`` names it. A choice
    off the menu or out of bounds is refused (InputError naming the request and
    the control) before anything is ranked. ``specs`` and ``base_dir`` resolve
    alternatives as in :func:`~feedrank.spec.choice.choose`.
    """
    cuts = check_offsets(offsets, len(batch))
    where: dict[str, Any] = {"specs": specs, "base_dir": base_dir}
    size = cuts.shape[0] - 1
    for name, given in (("contexts", contexts), ("choices", choices), ("cursors", cursors)):
        if given is not None and len(given) != size:
            raise InputError(
                f"{len(given)} for {size} requests", field=name, expected="one per request"
            )
    made: list[Chosen | None] = []
    for i, choice in enumerate(choices):
        try:
            made.append(None if choice is None else choose(published, choice, **where))
        except InputError as err:
            raise err.locate(within=f"choices[{i}]") from None
    groups: dict[str, list[int]] = {}
    for i, chosen in enumerate(made):
        spec = published if chosen is None else chosen.effective
        groups.setdefault(spec.fingerprint, []).append(i)
    out: list[Ranking | None] = [None] * size
    for members in groups.values():
        first = made[members[0]]
        spec = published if first is None else first.effective
        if len(members) == size:
            part, part_offsets = batch, cuts
        else:
            rows = np.concatenate([np.arange(cuts[i], cuts[i + 1], dtype=np.intp) for i in members])
            part = batch.take(rows)
            part_offsets = np.zeros(len(members) + 1, dtype=np.intp)
            np.cumsum([cuts[i + 1] - cuts[i] for i in members], out=part_offsets[1:])
        ranked = spec.rank_many(
            part,
            [contexts[i] for i in members],
            part_offsets,
            limit=limit,
            cursors=None if cursors is None else [cursors[i] for i in members],
        )
        for j, i in enumerate(members):
            ranking = ranked[j]
            chosen = made[i]
            ranking.choice = None if chosen is None else chosen.stamp
            out[i] = ranking
    return [r for r in out if r is not None]
