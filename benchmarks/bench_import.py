"""``import feedrank`` against ``import numpy``, each in a fresh interpreter.

Each sample is one child process, ``python -c "import numpy"`` or ``python -c
"import feedrank"`` (and ``python -c "pass"`` for the interpreter alone),
interleaved; its CPU time (user + system) comes from ``os.wait4``. Reported:
the medians and their ratio feedrank / numpy (target <= 2.5x), plus the
modules that take longest to import, from ``python -X importtime``.

Both packages are measured as installed: numpy's bytecode was compiled when pip
installed it, and feedrank's is compiled here first (``compileall``, as
``pip install`` does), so neither sample pays for compiling source.

    python benchmarks/bench_import.py [--repeats 30] [--json out.json]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from harness import machine

TARGET = 2.5
STATEMENTS = {"bare": "pass", "numpy": "import numpy", "feedrank": "import feedrank"}


def child_cpu_ns(statement: str) -> int:
    """CPU time (user + system) of ``python -c statement`` in a fresh process."""
    pid = os.posix_spawn(
        sys.executable, [sys.executable, "-c", statement], dict(os.environ, PYTHONHASHSEED="0")
    )
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"python -c {statement!r} failed")
    return round((usage.ru_utime + usage.ru_stime) * 1e9)


def slowest_imports(statement: str, top: int = 10) -> list[dict[str, Any]]:
    """Top-level and heavy modules by cumulative import time (``-X importtime``)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        name = parts[2].rstrip()
        rows.append(
            {
                "module": name.strip(),
                "depth": (len(name) - len(name.lstrip()) - 1) // 2,
                "self_us": int(parts[0]),
                "cumulative_us": int(parts[1]),
            }
        )
    shallow = [r for r in rows if r["depth"] <= 2]
    return sorted(shallow, key=lambda r: -r["cumulative_us"])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="children per statement")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    import feedrank

    compileall.compile_dir(Path(feedrank.__file__).parent, quiet=1)
    samples: dict[str, list[int]] = {name: [] for name in STATEMENTS}
    for statement in STATEMENTS.values():  # warm the file cache
        child_cpu_ns(statement)
    for r in range(args.repeats):
        names = list(STATEMENTS) if r % 2 == 0 else list(reversed(STATEMENTS))
        for name in names:
            samples[name].append(child_cpu_ns(STATEMENTS[name]))
    med = {name: float(np.median(v)) / 1e6 for name, v in samples.items()}
    ratio = med["feedrank"] / med["numpy"]
    top = slowest_imports("import feedrank")
    print(f"fresh interpreter per sample, {args.repeats} samples each, interleaved; CPU time")
    for name, statement in STATEMENTS.items():
        print(f"  python -c {statement!r:<18} median {med[name]:7.1f} ms")
    print(
        f"import feedrank / import numpy: {ratio:.2f}x; target <= {TARGET}x: "
        f"{'met' if ratio <= TARGET else 'NOT met'}"
    )
    print("slowest imports under `import feedrank` (cumulative, -X importtime, one run):")
    for row in top:
        print(f"  {'  ' * row['depth']}{row['module']:<40} {row['cumulative_us'] / 1000:7.1f} ms")
    if args.json is not None:
        result = {
            "benchmark": "import",
            "repeats": args.repeats,
            "median_ms": med,
            "samples_ns": samples,
            "ratio": ratio,
            "bytecode": "compiled for both (compileall on feedrank, pip's for numpy)",
            "target_at_most": TARGET,
            "met": ratio <= TARGET,
            "slowest_imports": top,
            "machine": machine(),
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
