"""Step 7 of the simulation: the logging policy that chose the feeds people saw,
reverse-chronological posts of followed authors plus a few from elsewhere."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from feedrank.datasets.network import GroundTruth
from feedrank.datasets.sampling import CHUNK_CELLS, top_k

__all__ = ["sessions"]


def sessions(
    gen: np.random.Generator,
    truth: GroundTruth,
    created: NDArray[np.int64],
    session_at: NDArray[np.int64],
    feed_size: int,
    out_of_network: int,
) -> dict[str, NDArray[np.int64]]:
    """The logging policy of step 7: columns viewer, post, position, session,
    session_at, in_network (one int64 entry per shown post), in draw order."""
    n_u, n_sess = session_at.shape
    n_p = created.shape[0]
    n_in = feed_size - out_of_network
    cols: dict[str, list[NDArray[np.int64]]] = {
        k: [] for k in ("viewer", "post", "position", "session", "session_at", "in_network")
    }
    post_rank = np.arange(n_p, dtype=np.float64)  # posts are in creation order
    step = max(1, CHUNK_CELLS // n_p)
    for lo in range(0, n_u, step):
        users = np.arange(lo, min(lo + step, n_u), dtype=np.intp)
        seen = np.zeros((len(users), n_p), dtype=bool)
        own = truth.post_author[None, :] == users[:, None]
        followed = truth.follows[users][:, truth.post_author]
        for s in range(n_sess):
            when = session_at[users, s]
            open_ = (created[None, :] < when[:, None]) & ~seen & ~own
            inn = open_ & followed
            score_in = np.where(inn, post_rank, -1.0)
            score_out = np.where(open_ & ~inn, gen.random(open_.shape), -1.0)
            pick_in, pick_out = top_k(score_in, n_in), top_k(score_out, out_of_network)
            ok_in = np.take_along_axis(score_in, pick_in, axis=1) >= 0
            ok_out = np.take_along_axis(score_out, pick_out, axis=1) >= 0
            cand = np.concatenate([np.where(ok_in, pick_in, -1), np.where(ok_out, pick_out, -1)], 1)
            flag = np.concatenate([ok_in, np.zeros_like(ok_out)], axis=1)
            order = np.argsort(-cand, axis=1, kind="stable")  # newest first, gaps last
            cand = np.take_along_axis(cand, order, axis=1)
            flag = np.take_along_axis(flag, order, axis=1)
            row, pos = np.nonzero(cand >= 0)
            post = cand[row, pos]
            seen[row, post] = True
            for name, col in (
                ("viewer", users[row]),
                ("post", post),
                ("position", pos),
                ("session", np.full(len(row), s)),
                ("session_at", when[row]),
                ("in_network", flag[row, pos]),
            ):
                cols[name].append(np.asarray(col, dtype=np.int64))
    return {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in cols.items()}
