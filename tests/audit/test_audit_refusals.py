"""What a decision record refuses to hold: a bad viewer, a context of another time.
Each is an AuditError naming its field."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import feedrank as fr
from feedrank.audit import AuditError
from feedrank.audit.encode import encode_request
from feedrank.audit.viewer import decode_viewer
from tests.audit.keys import KEY


@pytest.mark.parametrize(
    ("stored", "field"),
    [
        ({"id": ""}, "inputs.viewer.id"),
        ({"id": "v", "muted_words": ["  "]}, "inputs.viewer.muted_words"),
        ({"id": "v", "age": 3}, "inputs.viewer.age"),
    ],
)
def test_a_bad_stored_viewer_is_an_audit_error_naming_its_field(
    stored: dict[str, object], field: str
) -> None:
    with pytest.raises(AuditError) as info:
        decode_viewer(stored)
    assert info.value.field == field
    assert "Value error" not in str(info.value)


def test_a_good_stored_viewer_is_read_back() -> None:
    viewer = decode_viewer({"id": "v", "follows": ["b", "a"]})
    assert viewer is not None
    assert viewer.follows == frozenset({"a", "b"})


def test_a_context_of_another_now_is_named_by_its_iso_time() -> None:
    """Decision records refuse a context of another time, and say which in ISO 8601."""
    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    batch = fr.PostBatch.from_posts([fr.Post(id="p1", author_id="a", created_at=now)])
    ranking = fr.preset("balanced").rank(batch, fr.Context.build(batch, now=now))
    later = fr.Context.build(batch, now=now + timedelta(minutes=30))
    with pytest.raises(AuditError) as info:
        encode_request(ranking, later, key=KEY)
    text = str(info.value)
    assert "now=2026-01-01T12:30:00Z" in text
    assert "now=2026-01-01T12:00:00Z" in text
