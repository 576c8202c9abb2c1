"""What the engine computed: :class:`Ranked` for all requests, :class:`RequestView`
for one of them.

Every array is kept as the engine produced it, over the candidates of all
requests (n rows) or their kept posts (m rows), request after request. Filter
reasons and re-ranker moves stay integer codes with a code table; strings are
made only when a caller asks for them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from feedrank.batch.context import Context
from feedrank.batch.posts import PostBatch
from feedrank.batch.requests import Requests
from feedrank.batch.segments import segmented_order
from feedrank.engine.algorithm import Algorithm
from feedrank.engine.cursor import Cursor
from feedrank.errors import RankingError

__all__ = ["Move", "Moves", "Ranked", "RequestView"]


@dataclass(frozen=True)
class Move:
    """A re-ranker changed a post's 0-based position from ``before`` to ``after``."""

    post_id: str
    stage: str
    before: int
    after: int
    reason: str


@dataclass(frozen=True, eq=False)
class Moves:
    """Every move as columns, each request's in stage order: ``rows`` index kept
    posts, ``stages``
    the re-ranker, ``before``/``after`` the 0-based positions within the request,
    ``codes`` the reason (``table[code]``)."""

    rows: NDArray[np.intp]
    stages: NDArray[np.intp]
    before: NDArray[np.intp]
    after: NDArray[np.intp]
    codes: NDArray[np.intp]
    table: tuple[str, ...]

    @classmethod
    def empty(cls) -> Moves:
        z = np.zeros(0, dtype=np.intp)
        return cls(z, z, z, z, z, ())

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @property
    def reasons(self) -> NDArray[np.str_]:
        """ndarray (k,), str: the reason of every move."""
        if not self.table:
            return np.zeros(self.codes.shape[0], dtype="U1")
        names: NDArray[np.str_] = np.array(self.table, dtype=np.str_)
        return names[self.codes]

    def select(self, index: NDArray[np.intp], row_shift: int) -> Moves:
        """Moves ``index`` with their rows shifted down by ``row_shift``."""
        return Moves(
            self.rows[index] - row_shift,
            self.stages[index],
            self.before[index],
            self.after[index],
            self.codes[index],
            self.table,
        )


@dataclass(eq=False)
class Ranked:
    """The engine's result for S requests.

    Candidate rows (n): ``candidates``, ``requests`` (their contexts),
    ``removed_codes`` (0 = kept, ``i`` = reason ``removed_table[i - 1]``,
    given by stage ``removed_stages[i - 1]``: -1 for a filter, else the index
    of the re-ranker that removed the post).
    Kept rows (m, request after request, ``kept_offsets`` (S + 1,)): ``kept``
    maps them to candidate rows; ``kept_batch`` and ``kept_requests`` are the
    kept posts and their contexts; ``inputs``, ``contributions`` (m, T);
    ``factors`` (m, F): the scorer's factors, then one column per
    score-multiplying re-ranker (``factor_stages``: -1 for a scorer factor,
    else the re-ranker's index); ``scores`` = Σ contributions × Π factors
    (rounded if the scorer says so), ``tier`` (m,). :attr:`order` (m,) lists
    the kept rows of each request best first, request after request. Request
    ``i``'s page is ``order[kept_offsets[i] + page_start[i] : kept_offsets[i]
    + page_stop[i]]`` (:attr:`page_rows` holds every page).

    ``full_order`` is the order when the engine computed it (re-rankers need
    it); otherwise ``pages`` holds the pages, found by partial selection, and
    :attr:`order` is computed on first use. Treated as immutable.
    """

    algorithm: Algorithm
    candidates: PostBatch
    requests: Requests
    removed_codes: NDArray[np.intp]
    removed_table: tuple[str, ...]
    removed_stages: tuple[int, ...]
    kept: NDArray[np.intp]
    kept_offsets: NDArray[np.intp]
    kept_batch: PostBatch
    kept_requests: Requests
    term_names: tuple[str, ...]
    factor_names: tuple[str, ...]
    factor_stages: tuple[int, ...]
    inputs: NDArray[np.float64]
    contributions: NDArray[np.float64]
    factors: NDArray[np.float64]
    scores: NDArray[np.float64]
    tier: NDArray[np.int64]
    full_order: NDArray[np.intp] | None
    pages: NDArray[np.intp] | None
    moves: Moves
    page_start: NDArray[np.intp]
    page_stop: NDArray[np.intp]

    def __len__(self) -> int:
        return len(self.requests)

    @cached_property
    def order(self) -> NDArray[np.intp]:
        """ndarray (m,), intp: every request's kept rows best first, request after
        request (the documented total order, re-rankers applied)."""
        if self.full_order is not None:
            return self.full_order
        batch = self.kept_batch
        return segmented_order(
            self.kept_offsets, self.tier, self.scores, batch.created_at, batch._ids_at
        )

    @cached_property
    def page_offsets(self) -> NDArray[np.intp]:
        """ndarray (S + 1,), intp: request ``i``'s page is
        ``page_rows[page_offsets[i]:page_offsets[i + 1]]``."""
        out = np.zeros(len(self) + 1, dtype=np.intp)
        np.cumsum(self.page_stop - self.page_start, out=out[1:])
        return out

    @cached_property
    def page_rows(self) -> NDArray[np.intp]:
        """ndarray (p,), intp: kept rows of every page, best first, request after request."""
        if self.pages is not None:
            return self.pages
        lengths = self.page_stop - self.page_start
        starts = np.repeat(self.kept_offsets[:-1] + self.page_start, lengths)
        within = np.arange(int(self.page_offsets[-1]), dtype=np.intp) - np.repeat(
            self.page_offsets[:-1], lengths
        )
        rows: NDArray[np.intp] = self.order[starts + within]
        return rows

    @cached_property
    def _move_groups(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Moves grouped by request, stage order kept within: (permutation, offsets)."""
        seg = np.searchsorted(self.kept_offsets, self.moves.rows, side="right") - 1
        perm = np.argsort(seg, kind="stable").astype(np.intp)
        offsets = np.zeros(len(self) + 1, dtype=np.intp)
        np.cumsum(np.bincount(seg, minlength=len(self)), out=offsets[1:])
        return perm, offsets

    def moves_of_request(self, i: int) -> Moves:
        """The moves of request ``i``, rows local to its kept posts."""
        if len(self) == 1:
            return self.moves
        perm, offsets = self._move_groups
        return self.moves.select(perm[offsets[i] : offsets[i + 1]], int(self.kept_offsets[i]))


class RequestView:
    """Request ``i`` of a :class:`Ranked` result: every array local to it.

    Row-aligned arrays (m = its kept candidates): ``inputs``, ``contributions``
    (m, T); ``factors`` (m, F); ``scores``, ``tier`` (m,); ``order`` lists kept
    rows best first; ``kept`` maps kept rows to candidate rows; ``context`` is
    the request's context restricted to the kept rows. ``removed_codes`` (n,)
    with ``removed_table`` give each candidate's filter reason.
    """

    def __init__(self, result: Ranked, i: int) -> None:
        self.result = result
        self.index = i
        offsets, kept = result.requests.offsets, result.kept_offsets
        self._a, self._b = int(offsets[i]), int(offsets[i + 1])
        self._ka, self._kb = int(kept[i]), int(kept[i + 1])
        self.page_start = int(result.page_start[i])
        self.page_stop = int(result.page_stop[i])

    # ------------------------------------------------------------- arrays
    def _rows(self, values: NDArray[np.generic]) -> NDArray[np.generic]:
        return values if len(self.result) == 1 else values[self._ka : self._kb]

    @property
    def pipeline(self) -> Algorithm:
        """The algorithm that produced this ranking."""
        return self.result.algorithm

    @property
    def now(self) -> int:
        """The request's ``now`` (µs since the epoch)."""
        return int(self.result.requests.now[self.index])

    @cached_property
    def candidates(self) -> PostBatch:
        """The request's candidates."""
        if len(self.result) == 1:
            return self.result.candidates
        return self.result.candidates._slice(self._a, self._b)

    @cached_property
    def kept_batch(self) -> PostBatch:
        """The kept candidates (rows aligned with :attr:`context` and the score arrays)."""
        if len(self.result) == 1:
            return self.result.kept_batch
        return self.result.kept_batch._slice(self._ka, self._kb)

    @cached_property
    def context(self) -> Context:
        """The request's context restricted to its kept candidates."""
        return self.result.kept_requests.context(self.index)

    @cached_property
    def kept(self) -> NDArray[np.intp]:
        kept: NDArray[np.intp] = self._rows(self.result.kept) - self._a  # type: ignore[assignment]
        return kept

    @property
    def removed_codes(self) -> NDArray[np.intp]:
        codes = self.result.removed_codes
        return codes if len(self.result) == 1 else codes[self._a : self._b]

    @property
    def removed_table(self) -> tuple[str, ...]:
        return self.result.removed_table

    @property
    def removed_stages(self) -> tuple[int, ...]:
        """Per entry of :attr:`removed_table`: -1 for a filter's reason, else the
        index of the re-ranker that removed posts for it."""
        return self.result.removed_stages

    @cached_property
    def removed_reasons(self) -> NDArray[np.str_]:
        """ndarray (n,), str: each candidate's filter reason ("" = kept)."""
        names: NDArray[np.str_] = np.array(["", *self.removed_table], dtype=np.str_)
        return names[self.removed_codes]

    @property
    def term_names(self) -> tuple[str, ...]:
        return self.result.term_names

    @property
    def factor_names(self) -> tuple[str, ...]:
        return self.result.factor_names

    @property
    def factor_stages(self) -> tuple[int, ...]:
        return self.result.factor_stages

    @property
    def inputs(self) -> NDArray[np.float64]:
        return self._rows(self.result.inputs)  # type: ignore[return-value]

    @property
    def contributions(self) -> NDArray[np.float64]:
        return self._rows(self.result.contributions)  # type: ignore[return-value]

    @property
    def factors(self) -> NDArray[np.float64]:
        return self._rows(self.result.factors)  # type: ignore[return-value]

    @property
    def scores(self) -> NDArray[np.float64]:
        return self._rows(self.result.scores)  # type: ignore[return-value]

    @property
    def tier(self) -> NDArray[np.int64]:
        return self._rows(self.result.tier)  # type: ignore[return-value]

    @cached_property
    def order(self) -> NDArray[np.intp]:
        order: NDArray[np.intp] = self._rows(self.result.order) - self._ka  # type: ignore[assignment]
        return order

    @cached_property
    def moves(self) -> Moves:
        """Every move of this request's posts, in stage order."""
        return self.result.moves_of_request(self.index)

    # --------------------------------------------------------------- page
    @cached_property
    def page(self) -> NDArray[np.intp]:
        """Kept rows of the served page, best first."""
        r = self.result
        if len(r) == 1:
            return r.page_rows
        offsets = r.page_offsets
        rows: NDArray[np.intp] = r.page_rows[offsets[self.index] : offsets[self.index + 1]]
        return rows - self._ka

    @property
    def post_ids(self) -> list[str]:
        """Ids of the served page, best first."""
        rows = self._rows(self.result.kept)[self.page]  # candidate rows of the whole batch
        return [str(x) for x in self.result.candidates.ids[rows]]

    @property
    def page_scores(self) -> NDArray[np.float64]:
        """ndarray (k,), float64: final scores of the served page."""
        return self.scores[self.page]

    @property
    def ranks(self) -> NDArray[np.intp]:
        """ndarray (k,), intp: 1-based rank of each served post in the whole feed."""
        return np.arange(self.page_start + 1, self.page_stop + 1, dtype=np.intp)

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the spec that produced this ranking."""
        return self.pipeline.fingerprint

    def __len__(self) -> int:
        return self.page_stop - self.page_start

    @cached_property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, or None on the last page."""
        m = self._kb - self._ka
        if not (self.page_start < self.page_stop < m):
            return None
        last = int(self.page[-1])
        row = int(self.kept[last]) + self._a
        return Cursor(
            self.fingerprint,
            self.now,
            int(self.tier[last]),
            float(self.scores[last]),
            int(self.result.candidates.created_at[row]),
            str(self.result.candidates.ids[row]),
        ).encode()

    # --------------------------------------------------------- whole feed
    @property
    def _kept_ids(self) -> NDArray[np.str_]:
        return self.candidates.ids[self.kept]

    @property
    def all_post_ids(self) -> list[str]:
        """Every kept candidate in final order (beyond the page too)."""
        return [str(x) for x in self._kept_ids[self.order]]

    def removed(self) -> dict[str, str]:
        """Every removed post id -> the reason of the filter (or re-ranker) that removed it."""
        rows = np.flatnonzero(self.removed_codes)
        names = np.array(["", *self.removed_table], dtype=np.str_)
        return dict(
            zip(
                self.candidates.ids[rows].tolist(),
                names[self.removed_codes[rows]].tolist(),
                strict=True,
            )
        )

    def removal_counts(self) -> dict[str, int]:
        """Reason -> number of candidates removed for it, by a filter or a
        re-ranker (reasons in table order)."""
        counts = np.bincount(self.removed_codes, minlength=len(self.removed_table) + 1)
        out: dict[str, int] = {}
        for name, c in zip(self.removed_table, counts[1:].tolist(), strict=True):
            if c:
                out[name] = out.get(name, 0) + int(c)
        return out

    def removal(self, post_id: str) -> tuple[str, str] | None:
        """Why ``post_id`` was removed: (reason, ``"filter"`` or the type of the
        re-ranker that removed it), or None if it was kept."""
        code = int(self.removed_codes[self._candidate(post_id)])
        if code == 0:
            return None
        stage = self.removed_stages[code - 1]
        by = "filter" if stage < 0 else self.pipeline.rerankers[stage].type
        return self.removed_table[code - 1], by

    def move_counts(self) -> dict[str, dict[str, int]]:
        """Re-ranker type -> reason -> number of posts it moved."""
        moves = self.moves
        out: dict[str, dict[str, int]] = {}
        if not len(moves):
            return out
        types = [stage.type for stage in self.pipeline.rerankers]
        pairs = Counter(zip(moves.stages.tolist(), moves.codes.tolist(), strict=True))
        for (stage, code), count in sorted(pairs.items()):
            out.setdefault(types[stage], {})[moves.table[code]] = count
        return out

    def _candidate(self, post_id: str) -> int:
        """Candidate row of ``post_id``; RankingError if it is not a candidate."""
        cand = int(self.candidates.index_of([post_id])[0])
        if cand < 0:
            raise RankingError(
                "not among the candidates of this ranking",
                post_id=post_id,
                expected="a candidate id",
            )
        return cand

    def row_of(self, post_id: str) -> int:
        """Kept row of ``post_id``, or -1 if it was removed; RankingError if unknown."""
        cand = self._candidate(post_id)
        if self.removed_codes[cand] != 0:
            return -1
        return int(np.searchsorted(self.kept, cand))

    def position(self, post_id: str) -> int:
        """0-based position of ``post_id`` in the whole feed, or -1 if removed."""
        row = self.row_of(post_id)
        if row < 0:
            return -1
        return int(np.flatnonzero(self.order == row)[0])

    def moves_of(self, post_id: str) -> list[Move]:
        """Every move of ``post_id``, in stage order."""
        row = self.row_of(post_id)
        moves = self.moves
        hits = np.flatnonzero(moves.rows == row) if row >= 0 else np.zeros(0, np.intp)
        types = [stage.type for stage in self.pipeline.rerankers]
        return [
            Move(
                post_id,
                types[int(moves.stages[i])],
                int(moves.before[i]),
                int(moves.after[i]),
                moves.table[int(moves.codes[i])],
            )
            for i in hits
        ]
