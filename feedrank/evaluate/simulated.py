"""The benchmark's temporal split of a simulated network
(:func:`~feedrank.datasets.simulate`).

The cut is ``start + split × (now − start)``. Candidates are the posts created
before the cut, with their interaction counts recounted from the interactions
before the cut; each viewer's request holds the candidates it has not been shown
before the cut and did not write. The viewer's ``seen`` is rebuilt from the
views before the cut and ``muted`` is emptied (the simulator draws mutes at
``now``). Relevance is the simulator's ground truth, ``net.relevance_grades``
(0..3) of every candidate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from feedrank.batch.posts import PostBatch
from feedrank.datasets.network import SimulatedNetwork
from feedrank.errors import InputError
from feedrank.evaluate.split import BenchmarkData, BenchRequest, cut_data, split_fraction
from feedrank.models import Interaction, InteractionKind

__all__ = ["simulated_split"]


def simulated_split(
    net: SimulatedNetwork,
    *,
    cut: datetime | None = None,
    split: float = 0.75,
    relevance_threshold: int = 2,
    max_queries: int | None = None,
    seed: int = 0,
) -> BenchmarkData:
    """Cut ``net`` at ``cut`` (default ``start + split × (now − start)``); see the module.

    One request per viewer with a relevant candidate (ground-truth grade >=
    ``relevance_threshold``; 2 means relevance r >= 0.5). ``max_queries`` keeps a
    random subset (drawn with ``seed``).
    """
    if cut is None:
        cut = net.start + (net.now - net.start) * split_fraction(split)
    if cut.utcoffset() is None or not net.start < cut <= net.now:
        raise InputError(
            f"cut {cut!r}", field="cut", expected="a timezone-aware time in (start, now]"
        )
    before = [i for i in net.interactions if i.at < cut]
    counts: dict[str, dict[InteractionKind, int]] = {}
    for item in before:
        per = counts.setdefault(item.post_id, {})
        per[item.kind] = per.get(item.kind, 0) + 1
    posts = [
        p.model_copy(update={"counts": counts.get(p.id, {})})
        for p in net.posts
        if p.created_at < cut
    ]
    batch = PostBatch.from_posts(posts, net.authors)
    ids, authors = batch.ids, batch.author_ids
    by_viewer: dict[str, list[Interaction]] = {}
    for item in before:
        by_viewer.setdefault(item.viewer_id, []).append(item)
    requests: list[BenchRequest] = []
    for viewer in net.viewers:
        mine = by_viewer.get(viewer.id, [])
        seen = frozenset(i.post_id for i in mine if i.kind == InteractionKind.VIEW)
        rows = np.flatnonzero((authors != viewer.id) & ~np.isin(ids, list(seen) or [""]))
        rows = rows.astype(np.intp)
        if rows.shape[0] == 0:
            continue
        grades = net.relevance_grades(viewer.id, ids[rows])
        if not np.any(grades >= relevance_threshold):
            continue
        requests.append(
            BenchRequest(
                query_id=viewer.id,
                viewer=viewer.model_copy(update={"seen": seen, "muted": frozenset()}),
                interactions=tuple(mine),
                rows=rows,
                judged_ids=ids[rows],
                grades=grades,
            )
        )
    return cut_data(
        "simulated",
        cut=cut,
        batch=batch,
        requests=requests,
        post_authors=net.post_authors(),
        relevance_threshold=relevance_threshold,
        max_queries=max_queries,
        seed=seed,
        facts={
            "parameters": {k: _jsonable(v) for k, v in net.parameters.items()},
            "start": net.start.isoformat(),
            "now": net.now.isoformat(),
        },
        relevance=f"ground truth grades 0..3, relevant if >= {relevance_threshold}",
    )


def _jsonable(value: object) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
