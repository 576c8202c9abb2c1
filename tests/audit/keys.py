"""The secrets of every test decision log: fixed, random-looking, strong enough for
:func:`feedrank.audit.secret_check.check_secret` (never a repeated byte such as
``b"k" * 32``, which the log refuses).

Import as ``from tests.audit.keys import KEY, DATA_KEY``.
"""

from __future__ import annotations

KEY_HEX = "ec14afabdcd6b12478ccf9351d72aa8b1814c279c68fe9e8d00e91abb5c2e722"
"""The pseudonymisation key as the command line takes it (64 hex digits)."""
KEY = bytes.fromhex(KEY_HEX)
"""The pseudonymisation key of every test log."""
DATA_KEY_HEX = "3f63622038d4e39cac0206a60a96949d7e0aa7217fcd2608d60e2b46be3b5910"
"""The data key as the command line takes it (64 hex digits)."""
DATA_KEY = bytes.fromhex(DATA_KEY_HEX)
"""The data key that seals the personal part of every test log's records."""
OTHER_DATA_KEY = bytes.fromhex("72cf67ef058b1ff91278e606808d5521de80c60304f2c28bfb3e31e329829015")
"""A data key that opens none of the test logs' seals."""
