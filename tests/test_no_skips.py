"""A skip fails the run when FEEDRANK_NO_SKIPS is set (as in CI), in a test, at
collection and in a doctest; without it, a skip stays a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"

SUITE = """
import pytest

def test_needs_a_missing_extra():
    pytest.importorskip("feedrank_no_such_module")

@pytest.mark.skipif(True, reason="a feature is missing")
def test_marked():
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    assert False

def test_passes():
    pass
"""

MODULE_SKIP = """
import pytest
pytest.importorskip("feedrank_no_such_module")

def test_never_collected():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(ROOT_CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_suite=SUITE, test_module_skip=MODULE_SKIP)
    return pytester


def test_skips_fail_the_run_when_no_skips_is_set(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEEDRANK_NO_SKIPS", "1")
    result = suite.runpytest("-p", "no:cacheprovider", "test_suite.py")
    # The skip in the test body fails it; the skipif mark fails its setup (an error).
    result.assert_outcomes(passed=1, failed=1, errors=1, xfailed=1)
    result.stdout.fnmatch_lines(["*FEEDRANK_NO_SKIPS is set*feedrank_no_such_module*"])
    assert result.ret != 0
    # A module that skips itself at import stops the run as a collection error.
    result = suite.runpytest("-p", "no:cacheprovider", "test_module_skip.py")
    result.assert_outcomes(errors=1)
    assert result.ret != 0


def test_skips_stay_skips_without_it(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEEDRANK_NO_SKIPS", raising=False)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)
    assert result.ret == 0
