"""Community Notes-style bridging: a one-factor matrix factorisation of ratings.

Raters rate items (notes, posts) on a scale from 0 to 1 (Helpful 1.0, Somewhat
0.5, Not helpful 0.0). The model explains every observed rating r_un of rater u
on item n as

    r̂_un = μ + i_u + i_n + f_u · f_n

with a global intercept μ, rater and item intercepts i_u, i_n and one-dimensional
factors f_u, f_n. The factor product absorbs agreement *along a viewpoint*
(raters and items on the same side of the factor axis), so the item intercept
i_n is the helpfulness that raters of differing viewpoints agree on: the
bridging score. Source: twitter/communitynotes,
documentation/under-the-hood/ranking-notes.md (see REFERENCES.md).

Loss
----
``normalization="mean"`` (the default) is the loss the open-source scorer's
training loop minimises: the mean squared error plus λ times the mean square of
each parameter group::

    L_mean = (1/K) Σ (r − r̂)² + λ_i (mean_u i_u² + mean_n i_n² + μ²)
             + λ_f (mean_u f_u² + mean_n f_n²)

for K ratings, U raters and N items, with λ_i = 0.15 and λ_f = 0.03.
``normalization="sum"`` is the formula as the documentation writes it::

    L = Σ_(u,n) (r − r̂_un)² + λ_i (Σ_u i_u² + Σ_n i_n² + μ²) + λ_f (Σ_u f_u² + Σ_n f_n²)

with the sums over observed ratings, raters and items. The two differ in how
strongly the penalties pull: the minimiser of L_mean is that of the sum form
with the penalties rescaled (λ_i K for μ, λ_i K/U for i_u, λ_i K/N for i_n,
λ_f K/U for f_u, λ_f K/N for f_n), which is how it is optimised; ``loss``
reports the value in the chosen normalization.

Gradient
--------
With residuals e_un = r̂_un − r_un and per-parameter penalties λ_θ::

    ∂L/∂μ   = 2 Σ_(u,n) e_un       + 2 λ_μ μ
    ∂L/∂i_u = 2 Σ_n e_un           + 2 λ_iu i_u     (over the items u rated)
    ∂L/∂i_n = 2 Σ_u e_un           + 2 λ_in i_n     (over the raters of n)
    ∂L/∂f_u = 2 Σ_n e_un · f_n     + 2 λ_fu f_u
    ∂L/∂f_n = 2 Σ_u e_un · f_u     + 2 λ_fn f_n

Every Σ over ratings is one ``np.bincount`` on the rater or item index: one
evaluation costs O(K + U + N), with no Python loop over ratings.

Fit
---
:func:`fit_bridging` minimises the exact loss with scipy's L-BFGS-B and this
analytic gradient. Why not the reference's Adam: L-BFGS on a smooth loss of a
few thousand parameters needs no learning rate, uses every rating in every step
(full batch, so the result is a deterministic function of the data and the
initial point) and stops on an objective criterion (projected gradient ≤
``gtol`` or relative decrease ≤ ``ftol``). Why not alternating least squares: it
is monotone too, but zig-zags along the valley where intercepts and factors trade
off, and L-BFGS is checkable against a finite-difference gradient.

Initialisation: μ and every intercept start at 0 (as in the reference scorer);
factors are drawn N(0, ``init_scale``²) from ``rng``, raters then items, each in
sorted-id order. Factors cannot start at 0: f_u = f_n = 0 is a stationary point
of the loss. With ``n_init`` > 1 the fit restarts from fresh draws and keeps the
lowest loss (the first on ties).

Sign convention: the loss is unchanged when every f_u and f_n flips sign. After
fitting, factors are flipped so that at least half of the raters with a non-zero
factor have a *negative* factor (the reference scorer's identification rule);
when exactly half do, so that Σ_u f_u ≤ 0.

Status
------
:class:`StatusRule` (the Community Notes thresholds): an item with at least
``min_ratings`` (5) ratings is ``"helpful"`` when i_n ≥ 0.40 and |f_n| ≤ 0.5, and
``"not_helpful"`` when i_n ≤ −0.05 − 0.8 |f_n|; every other item (and every item
with fewer ratings) is ``"needs_more_ratings"``. Those are the boundaries of the
open-source scorer (the status Helpful is removed only when |f_n| > 0.5, and the
Not helpful boundary is inclusive); ``boundaries="documented"`` reads both
inequalities strictly, as the documentation writes them. The rule, the statuses
and the feature names live in :mod:`feedrank.stages.signals.bridging`, with the
signal that applies them; they are re-exported here.

Modules
-------
:mod:`~feedrank.bridging.loss` (the loss and its gradient),
:mod:`~feedrank.bridging.fit` (:func:`fit_bridging`, :func:`fit_bridging_triples`),
:mod:`~feedrank.bridging.result` (:class:`BridgingFit`, its predictions and the
feature columns it attaches to a batch), :mod:`~feedrank.bridging.columns`
(reading and checking ids and ratings).

>>> import numpy as np
>>> raters = np.array(["a1", "a2", "a3", "b1", "b2", "b3"] * 2)
>>> items = np.array(["both"] * 6 + ["one_side"] * 6)
>>> ratings = np.array([1.0] * 6 + [1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
>>> fit = fit_bridging(raters, items, ratings, rng=np.random.default_rng(0))
>>> fit.item_ids.tolist(), bool(fit.item_intercepts[0] > fit.item_intercepts[1])
(['both', 'one_side'], True)
"""

from __future__ import annotations

from feedrank.bridging.columns import HELPFULNESS_VALUES
from feedrank.bridging.fit import fit_bridging, fit_bridging_triples
from feedrank.bridging.result import BridgingFit
from feedrank.stages.signals.bridging import (
    HELPFUL,
    NEEDS_MORE_RATINGS,
    NOT_HELPFUL,
    StatusRule,
    bridging_feature_names,
)

__all__ = [
    "HELPFUL",
    "HELPFULNESS_VALUES",
    "NEEDS_MORE_RATINGS",
    "NOT_HELPFUL",
    "BridgingFit",
    "StatusRule",
    "bridging_feature_names",
    "fit_bridging",
    "fit_bridging_triples",
]
