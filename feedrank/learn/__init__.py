"""Learn the weights of a scorer's terms from logged interactions, keeping the
ranker explainable.

The features are the pipeline's own term signals: for every logged request,
``pipeline.scorer.score(batch, ctx).inputs`` gives the (n, T) matrix ``X`` of
signal values, so a learned weight multiplies exactly the quantity the
published spec names. Two estimators:

- :func:`fit_logistic` — pointwise L2-regularised logistic regression of a
  per-post label (clicked, liked) on the signals;
- :func:`fit_ranknet` — linear RankNet: a logistic loss on score differences of
  the pairs of posts of one request whose labels differ (or on explicit
  pairwise preferences).

Both return a :class:`WeightFit`: a new :class:`~feedrank.Pipeline` whose term
weights are the learned ones (factors, filters and re-rankers unchanged — the
learned model is the additive part ``Σ_t w_t · x_t``), each learned term's
``why`` saying how and from how much data it was learned, the standard errors
of the weights (inverse Hessian of the penalised objective at the optimum) and
the optimiser's diagnostics. Fitting is deterministic (L-BFGS from zero, no
randomness) and vectorised (one numpy pass per objective evaluation).

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> from feedrank import Context, Pipeline, Post, PostBatch, Scorer, Term
>>> from feedrank.stages.signals import Feature
>>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> gen = np.random.default_rng(0)
>>> x = gen.normal(size=400)
>>> posts = [Post(id=f"p{i}", author_id="a", created_at=t, features={"x": float(v)})
...          for i, v in enumerate(x)]
>>> batch = PostBatch.from_posts(posts)
>>> clicked = (gen.random(400) < 1 / (1 + np.exp(-2 * x))).astype(float)
>>> pipe = Pipeline(name="demo", scorer=Scorer(
...     terms=[Term(name="x", signal=Feature(name="x"), weight=1.0)]))
>>> fit = fit_logistic(pipe, [LoggedRequest(batch, Context.build(batch, now=t), clicked)])
>>> fit.converged, bool(abs(fit.weights[0] - 2.0) < 3 * fit.standard_errors[0])
(True, True)
>>> fit.pipeline.scorer.terms[0].why.startswith("Learned")
True

Modules: :mod:`~feedrank.learn.logged` (:class:`LoggedRequest`),
:mod:`~feedrank.learn.design` (:func:`design_matrix`), :mod:`~feedrank.learn.objectives`
(the two penalised objectives), :mod:`~feedrank.learn.logistic` and
:mod:`~feedrank.learn.ranknet` (the fits), :mod:`~feedrank.learn.covariance`
(standard errors), :mod:`~feedrank.learn.result` (:class:`WeightFit`),
:mod:`~feedrank.learn.simulation` (training data from a simulated network).
"""

from __future__ import annotations

from feedrank.learn.design import Design, design_matrix
from feedrank.learn.logged import LoggedRequest
from feedrank.learn.logistic import fit_logistic
from feedrank.learn.objectives import LogisticObjective, RankNetObjective
from feedrank.learn.ranknet import fit_ranknet
from feedrank.learn.result import WeightFit
from feedrank.learn.simulation import training_data_from_simulation

__all__ = [
    "Design",
    "LoggedRequest",
    "LogisticObjective",
    "RankNetObjective",
    "WeightFit",
    "design_matrix",
    "fit_logistic",
    "fit_ranknet",
    "training_data_from_simulation",
]
