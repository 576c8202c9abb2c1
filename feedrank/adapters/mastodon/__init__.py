"""Mastodon REST API statuses and accounts as feedrank posts and authors.

- :mod:`~feedrank.adapters.mastodon.statuses`: one ``Status`` as a
  :class:`~feedrank.Post` and one ``Account`` as an :class:`~feedrank.Author`
  (the field mapping, boosts and labels are described there);
- :mod:`~feedrank.adapters.mastodon.timeline`: a timeline (a list of statuses,
  or a saved API response) as candidates, with the boosts as interactions;
- :mod:`~feedrank.adapters.mastodon.html_text`: a status's HTML as plain text.

Bad input raises :class:`~feedrank.errors.InputError` naming the status id,
the field and what was expected.
"""

from __future__ import annotations

from feedrank.adapters.mastodon.html_text import html_to_text
from feedrank.adapters.mastodon.statuses import (
    VISIBILITIES,
    BoostMode,
    account_to_author,
    status_to_post,
)
from feedrank.adapters.mastodon.timeline import (
    MastodonTimeline,
    load_timeline,
    timeline_from_statuses,
)

__all__ = [
    "VISIBILITIES",
    "BoostMode",
    "MastodonTimeline",
    "account_to_author",
    "html_to_text",
    "load_timeline",
    "status_to_post",
    "timeline_from_statuses",
]
