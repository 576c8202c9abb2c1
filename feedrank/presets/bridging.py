"""Community Notes-style bridging: posts found helpful across viewpoints first."""

from __future__ import annotations

from feedrank.presets.registry import register_preset
from feedrank.spec.pipeline import Pipeline
from feedrank.stages.scoring import Scorer, Term
from feedrank.stages.signals.bridging import Bridging

__all__ = ["community_notes_bridging"]


@register_preset("community-notes-bridging")
def community_notes_bridging() -> Pipeline:
    """Rank posts the way Community Notes orders notes: by bridging score.

    Source: twitter/communitynotes, documentation/under-the-hood/ranking-notes.md
    (facts in REFERENCES.md, "Community Notes bridging"). The scores come from
    :func:`feedrank.bridging.fit_bridging` — r̂ = μ + i_u + i_n + f_u·f_n with
    one-dimensional factors, λ_i = 0.15 on intercepts and μ, λ_f = 0.03 on
    factors, Helpful 1.0 / Somewhat 0.5 / Not helpful 0.0 — attached to the
    candidates with :meth:`~feedrank.bridging.BridgingFit.attach` as the
    features ``bridging_intercept``, ``bridging_factor`` and ``bridging_ratings``.

    Readings chosen:

    - The loss is the one the open-source scorer trains on: the mean squared
      error plus λ times the mean square of each parameter group
      (``fit_bridging``'s default ``normalization="mean"``). The documentation
      writes it with sums, Σ(r − r̂)² + 0.15(i_u² + i_n² + μ²) + 0.03(f_u² + f_n²),
      which ``normalization="sum"`` offers.
    - Status, with the scorer's boundaries (``boundaries = "scorer"``): Helpful
      when i_n ≥ 0.40 and |f_n| ≤ 0.5 (the scorer removes the status only when
      |f_n| > 0.5), Not helpful when i_n ≤ −0.05 − 0.8|f_n|, each only with at
      least 5 ratings; everything else needs more ratings. The documentation's
      strict inequalities are ``boundaries = "documented"``.
    - Order, as the documentation sorts notes: Helpful posts first by intercept;
      then posts that need more ratings, all at 0.0, so they fall to the tie
      order — newest first; then Not helpful posts by their (negative) intercept.
      Not helpful posts are ranked last, not removed, so nothing is dropped
      silently; a platform that hides them adds its own filter.
    - A post without ratings data has fewer than 5 ratings, so it needs more
      ratings: ``default = 0.0``, the same value. (The signal alone raises on a
      missing feature; the preset chooses this reading so a feed with unrated
      posts still ranks.)
    - No filters and no personal data: the order is the same for every viewer
      (a non-profiling option in the sense of EU DSA Art. 38).
    """
    return Pipeline(
        name="community-notes-bridging",
        description=(
            "Posts that raters who usually disagree both found helpful come first, "
            "by how strongly they agree; posts still needing ratings follow, newest "
            "first; posts rated not helpful come last. The same for every viewer."
        ),
        scorer=Scorer(
            terms=[
                Term(
                    name="bridging",
                    signal=Bridging(
                        gate=True,
                        needs_more_ratings_value=0.0,
                        not_helpful_value=None,
                        default=0.0,
                    ),
                    weight=1.0,
                    why=(
                        "Helpfulness not explained by viewpoint (the Community Notes "
                        "intercept): a post rises only if raters on both sides of the "
                        "viewpoint axis rate it helpful, so agreement across divides "
                        "outranks applause from one camp."
                    ),
                )
            ]
        ),
    )
