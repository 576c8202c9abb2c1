"""import feedrank stays lean: scipy, pandas, dask and cryptography load only when a
function that needs them runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scipy", "pandas", "dask", "cryptography")


def loaded_after(statement: str) -> list[str]:
    code = (
        f"import sys; {statement}; "
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@pytest.mark.parametrize(
    "module",
    ["feedrank", "feedrank.learn", "feedrank.bridging", "feedrank.datasets", "feedrank.audit"],
)
def test_importing_loads_no_heavy_dependency(module: str) -> None:
    assert loaded_after(f"import {module}") == []


def test_a_fit_loads_scipy_when_it_runs() -> None:
    statement = (
        "from feedrank.bridging import fit_bridging; "
        "fit_bridging(['a', 'b'], ['x', 'x'], [1.0, 0.0], rng=0)"
    )
    assert loaded_after(statement) == ["scipy"]


def test_sealing_a_record_loads_cryptography_when_it_runs() -> None:
    statement = "from feedrank.audit.seal import seal; seal(b'x', bytes(range(32)), b'aad')"
    assert loaded_after(statement) == ["cryptography"]
