"""Measure names, the feedrank way or the trec_eval way, parsed into a
:class:`Measure` (family and cutoff); see :mod:`feedrank.evaluate.metrics` for
what each measure computes.

>>> parse_measure("ndcg_cut_10") == parse_measure("ndcg@10")
True
>>> parse_measure("recip_rank").name, parse_measure("P@5").trec_name
('mrr', 'P_5')
>>> measure_names(["map,P@10", "map"])
['map', 'P@10']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from feedrank.errors import InputError

__all__ = ["MEASURE_NAMES", "Measure", "measure_names", "parse_measure"]

_COUNTS = frozenset({"num_q", "num_ret", "num_rel", "num_rel_ret"})
# name (lower case) -> (kind, cutoff: "required" | "optional" | "none")
_ALIASES: dict[str, tuple[str, str]] = {
    "p": ("P", "required"),
    "precision": ("P", "required"),
    "recall": ("recall", "required"),
    "hit_rate": ("success", "required"),
    "success": ("success", "required"),
    "map": ("map", "optional"),
    "map_cut": ("map", "required"),
    "mrr": ("recip_rank", "optional"),
    "recip_rank": ("recip_rank", "optional"),
    "r_precision": ("Rprec", "none"),
    "rprec": ("Rprec", "none"),
    "ndcg": ("ndcg", "optional"),
    "ndcg_cut": ("ndcg", "required"),
    "ndcg_exp": ("ndcg_exp", "optional"),
    **{name: (name, "none") for name in _COUNTS},
}
MEASURE_NAMES: tuple[str, ...] = (
    "P@k",
    "recall@k",
    "hit_rate@k",
    "map",
    "map@k",
    "mrr",
    "mrr@k",
    "r_precision",
    "ndcg",
    "ndcg@k",
    "ndcg_exp",
    "ndcg_exp@k",
    "num_q",
    "num_ret",
    "num_rel",
    "num_rel_ret",
    "P_k",
    "recall_k",
    "success_k",
    "map_cut_k",
    "recip_rank",
    "Rprec",
    "ndcg_cut_k",
)
"""Every accepted measure name (k a positive integer), feedrank's then trec_eval's."""

_NAME = re.compile(r"(?P<base>.+?)(?:[@_](?P<k>\d+))?")
_FEEDRANK = {"P": "P", "recall": "recall", "success": "hit_rate", "map": "map"}
_FEEDRANK |= {"recip_rank": "mrr", "ndcg": "ndcg", "ndcg_exp": "ndcg_exp"}
_TREC_CUT = {"P": "P", "recall": "recall", "success": "success", "map": "map_cut"}
_TREC_CUT["ndcg"] = "ndcg_cut"


@dataclass(frozen=True)
class Measure:
    """A parsed measure: ``kind`` (trec_eval's family name) and cutoff ``k``."""

    kind: str
    k: int | None = None

    @property
    def name(self) -> str:
        """The feedrank name, e.g. ``ndcg@10``."""
        if self.kind == "Rprec":
            return "r_precision"
        base = _FEEDRANK.get(self.kind, self.kind)
        return base if self.k is None else f"{base}@{self.k}"

    @property
    def trec_name(self) -> str | None:
        """trec_eval's name (``ndcg_cut_10``), or None when trec_eval has no such measure."""
        if self.kind == "ndcg_exp" or (self.kind == "recip_rank" and self.k is not None):
            return None
        return self.kind if self.k is None else f"{_TREC_CUT[self.kind]}_{self.k}"

    @property
    def is_count(self) -> bool:
        """True for num_q, num_ret, num_rel, num_rel_ret (summed, not averaged, under ``all``)."""
        return self.kind in _COUNTS


def parse_measure(name: str) -> Measure:
    """Parse a feedrank or trec_eval measure name (see :data:`MEASURE_NAMES`).

    >>> parse_measure("ndcg_cut_10") == parse_measure("ndcg@10")
    True
    >>> parse_measure("P@5").trec_name
    'P_5'
    """
    match = _NAME.fullmatch(name.strip())
    entry = _ALIASES.get(match["base"].lower()) if match else None
    if match is None or entry is None:
        raise InputError(
            f"unknown measure {name!r}",
            field="measures",
            expected="one of " + ", ".join(MEASURE_NAMES),
        )
    kind, cutoff = entry
    k = None if match["k"] is None else int(match["k"])
    if (k is None and cutoff == "required") or (k is not None and cutoff == "none"):
        need = "a cutoff, e.g. P@10" if cutoff == "required" else "no cutoff"
        raise InputError(f"measure {name!r} takes {need}", field="measures", expected=need)
    if k is not None and k < 1:
        raise InputError(f"cutoff of {name!r} is 0", field="measures", expected="k >= 1")
    return Measure(kind, k)


def measure_names(measures: str | Sequence[str]) -> list[str]:
    """The distinct names in ``measures`` (strings, each maybe comma separated), in
    order; InputError when there is none."""
    items = [measures] if isinstance(measures, str) else list(measures)
    names: list[str] = []
    for item in items:
        for name in item.split(","):
            if name.strip() and name.strip() not in names:
                names.append(name.strip())
    if not names:
        raise InputError("no measure given", field="measures", expected="e.g. map,P@10,ndcg@10")
    return names
