"""ChoiceStamp: which published spec a viewer's choice was made on, and what they chose.

A :class:`~feedrank.Ranking` computed for a viewer's choice (see
:mod:`feedrank.spec.choice`) carries one as ``ranking.choice``: the published
spec, the alternative picked from its menu (None: the published spec itself),
the controls set, and the fingerprint of the effective spec that ranked (the
ranking's own ``fingerprint``).

>>> from feedrank.presets import preset
>>> stamp = ChoiceStamp(preset("chronological"), None, (("x", 1.0),), "ab" * 32)
>>> stamp.to_dict()["settings"], stamp.to_dict()["effective"][:4]
({'x': 1.0}, 'abab')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedrank.engine.algorithm import Algorithm

__all__ = ["ChoiceStamp"]


@dataclass(frozen=True, eq=False)
class ChoiceStamp:
    """``published``: the spec whose menu and controls the viewer used;
    ``alternative``: the name picked from its menu, or None; ``settings``:
    (control name, value) pairs in name order; ``effective``: fingerprint of
    the spec that ranked."""

    published: Algorithm
    alternative: str | None
    settings: tuple[tuple[str, bool | int | float], ...]
    effective: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: both fingerprints and the overlay."""
        return {
            "published": {
                "name": self.published.name,
                "version": self.published.version,
                "fingerprint": self.published.fingerprint,
            },
            "alternative": self.alternative,
            "settings": dict(self.settings),
            "effective": self.effective,
        }
