"""Test-run settings shared by the tests and the doctests.

With ``FEEDRANK_NO_SKIPS=1`` (as ``.ci/run`` sets it, where every dev extra and
headless Chromium are installed) a skipped test or module fails the run instead:
a missing dependency there is a broken environment, not a reason to test less.
Without it, a local run on a partial install skips what it cannot run.

With ``FEEDRANK_HYPOTHESIS=ci`` (also set by ``.ci/run``) Hypothesis draws the
same examples on every run (``derandomize``), so CI judges a change by the same
cases it was tested on; local runs draw new examples each time and keep
exploring (a case found there is pinned with ``@example``).
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("FEEDRANK_HYPOTHESIS") == "ci":
    settings.load_profile("ci")

pytest_plugins = ["pytester"]

NO_SKIPS = "FEEDRANK_NO_SKIPS"


def _no_skips() -> bool:
    return os.environ.get(NO_SKIPS, "") not in ("", "0")


def _fail(report: pytest.TestReport | pytest.CollectReport) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped, but {NO_SKIPS} is set: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if _no_skips() and report.skipped and not hasattr(report, "wasxfail"):
        _fail(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if _no_skips() and report.skipped:
        _fail(report)
    return report
