"""``python -m feedrank``: the same command line as the ``feedrank`` script.

``python -m feedrank rank --spec balanced ...`` works where the script is not on
``PATH`` (a virtual environment that is not activated, a subprocess that only
knows ``sys.executable``).
"""

from __future__ import annotations

import sys

from feedrank.cli.app import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
