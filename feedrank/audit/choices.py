"""How many requests of a decision log used each alternative and each control value.

A record of a viewer's choice names it in clear (``choice``: the published
spec, the alternative, the settings), so the counts need no data key.

>>> counts = ChoiceCounts.of([])
>>> counts.requests, counts.by_alternative
(0, {})
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feedrank.audit.record import AuditRecord

__all__ = [
    "NOT_SET",
    "NO_CHOICE",
    "PUBLISHED",
    "ChoiceCounts",
    "choice_counts",
    "published_fingerprint",
]

NO_CHOICE = "(no choice)"
"""The alternative of a request that carried no choice: the spec as published."""
PUBLISHED = "(published)"
"""The alternative of a request that chose no alternative: the published spec."""
NOT_SET = "(not set)"
"""The value of a control a request did not set: its default."""


def published_fingerprint(record: AuditRecord) -> str:
    """The published spec of a record: the one its choice was made on, else its spec."""
    return record.spec.fingerprint if record.choice is None else record.choice.published.fingerprint


def _control_names(canonical: dict[str, Any] | None) -> set[str]:
    """The names of the controls an embedded spec publishes."""
    controls = (canonical or {}).get("controls", [])
    return {str(c.get("name")) for c in controls if isinstance(c, dict)}


def _shown(value: bool | int | float) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else f"{value:g}"


@dataclass(frozen=True)
class ChoiceCounts:
    """``requests``; ``by_alternative``: requests per alternative (``(published)``:
    the published spec with the viewer's settings, ``(no choice)``: no choice
    carried); ``by_control``: per control, requests per value (``(not set)``: the
    default), over the requests ranked by a spec that offers it (as far as the
    log embeds its specs); ``by_spec``: requests per effective spec fingerprint."""

    requests: int
    by_alternative: dict[str, int]
    by_control: dict[str, dict[str, int]]
    by_spec: dict[str, int]

    @classmethod
    def of(cls, records: Iterable[AuditRecord]) -> ChoiceCounts:
        """Count ``records``."""
        alternatives: Counter[str] = Counter()
        specs: Counter[str] = Counter()
        values: dict[str, Counter[str]] = {}
        n = 0
        for record in records:
            n += 1
            specs[record.spec.fingerprint] += 1
            choice = record.choice
            settings: dict[str, bool | int | float] = {}
            if choice is None:
                alternatives[NO_CHOICE] += 1
                offered = _control_names(record.spec.canonical)
            else:
                alternatives[choice.alternative or PUBLISHED] += 1
                settings = dict(choice.settings)
                offered = set(settings)
                if choice.alternative is None:
                    offered |= _control_names(choice.published.canonical)
            for name in offered:
                value = settings.get(name)
                shown = NOT_SET if value is None else _shown(value)
                values.setdefault(name, Counter())[shown] += 1
        return cls(
            requests=n,
            by_alternative=dict(alternatives.most_common()),
            by_control={k: dict(sorted(v.items())) for k, v in sorted(values.items())},
            by_spec=dict(specs.most_common()),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "requests": self.requests,
            "by_alternative": self.by_alternative,
            "by_control": self.by_control,
            "by_spec": self.by_spec,
        }

    def summary(self) -> str:
        """The counts as text."""
        lines = [f"{'alternative':<28}{'requests':>10}"]
        lines += [f"{name:<28}{n:>10}" for name, n in self.by_alternative.items()]
        if self.by_control:
            lines += ["", f"{'control':<20}{'value':<12}{'requests':>10}"]
            for control, counts in self.by_control.items():
                lines += [f"{control:<20}{value:<12}{n:>10}" for value, n in counts.items()]
        return "\n".join(lines)


def choice_counts(path: str | os.PathLike[str]) -> ChoiceCounts:
    """:class:`ChoiceCounts` of the valid records of the decision log at ``path``
    (no data key needed: a record names its choice in clear)."""
    from feedrank.audit.verify import read_log

    return ChoiceCounts.of(read_log(path).records)
