"""The balanced feed with coordinated activity counted once per group."""

from __future__ import annotations

from feedrank.models import InteractionKind as K
from feedrank.presets.basic import balanced
from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.scoring import Term
from feedrank.stages.signals import EngagementRate
from feedrank.stages.signals.coordination import CoordinationDiscount

__all__ = ["balanced_coordination_aware"]

_ONCE = (
    " Each coordinated group (accounts acting on the same posts within minutes of each "
    "other far more often than chance) counts once."
)


@register_preset("balanced-coordination-aware")
def balanced_coordination_aware() -> Pipeline:
    """``balanced``, with every coordinated group counted once, and community reports.

    The candidates carry the columns of a coordination detection
    (:meth:`feedrank.coordination.CoordinationFit.attach`, run on the
    platform's interaction log); ranking without them is an error, never a
    silent fallback to raw counts. Differences from ``balanced``:

    - ``engagement`` and ``like_rate`` read their counts through
      :class:`~feedrank.stages.signals.CoordinationDiscount`: the likes, reposts,
      replies and bookmarks of a group's accounts on a post count as one of each,
      so a campaign of nine sock puppets adds what one account adds. Each post's
      explanation says how many actions were discounted.
    - A ``reports`` term, −10 × reports / (views + 20), with the same discount: a
      reporting brigade counts as one report. Reports are read per view so that
      no single account can bury a post: one report among 30 views costs 0.2,
      nine cost 1.8 (a post without a view count gets no report penalty).
      ``balanced`` reads no community reports at all (a brigade could otherwise
      bury an author); counted once per group, reports can inform the feed
      without handing it to a brigade.

    Everything else (filters, the other terms and factors, re-rankers) is
    ``balanced``'s.
    """
    base = balanced()
    terms: list[Term] = []
    for term in base.scorer.terms:
        if term.name in ("engagement", "like_rate"):
            term = term.model_copy(
                update={
                    "signal": CoordinationDiscount(signal=term.signal),
                    "why": term.why + _ONCE,
                }
            )
        terms.append(term)
    terms.append(
        Term(
            name="reports",
            signal=CoordinationDiscount(
                signal=EngagementRate(
                    weights={K.REPORT: 1.0},
                    base=K.VIEW,
                    prior_rate=0.0,
                    prior_strength=20.0,
                    missing_base="prior",
                )
            ),
            weight=-10.0,
            why=(
                "Reports per view (smoothed with 20 views at no report): a post many of "
                "its readers reported sinks, one account's report barely moves it, and a "
                "coordinated brigade of reports counts as one report."
            ),
        )
    )
    return base.model_copy(
        update={
            "name": "balanced-coordination-aware",
            "description": base.description
            + " Coordinated groups of accounts count once in engagement and in reports.",
            "scorer": base.scorer.model_copy(update={"terms": tuple(terms)}),
        }
    )
