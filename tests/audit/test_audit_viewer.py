"""The viewer stored in a decision record: a bad one is an AuditError naming its field."""

from __future__ import annotations

import pytest

from feedrank.audit import AuditError
from feedrank.audit.viewer import decode_viewer


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
