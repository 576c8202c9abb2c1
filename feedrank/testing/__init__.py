"""Conformance checks for ranking components, in the manner of scikit-learn's
``check_estimator``.

:func:`check_component` runs every check that applies to a signal, filter,
re-ranker or pipeline on realistic sample data and raises
:class:`~feedrank.errors.ConformanceError` naming the component, the check and
what failed. :mod:`feedrank.testing.sample` makes the sample data,
:mod:`feedrank.testing.checks` holds the checks and
:mod:`feedrank.testing.examples` one or more configured instances of every
built-in component.

>>> from feedrank.presets import preset
>>> "rank_many" in check_component(preset("chronological"))
True
"""

from feedrank.errors import ConformanceError
from feedrank.testing.checks import CHECKS, Check, check_component, checks_for
from feedrank.testing.sample import SampleData, sample_data

__all__ = [
    "CHECKS",
    "Check",
    "ConformanceError",
    "SampleData",
    "check_component",
    "checks_for",
    "sample_data",
]
