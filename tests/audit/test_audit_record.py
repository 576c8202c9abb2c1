"""Decision records: exact round trips of inputs and outputs, canonical lines,
pseudonyms and data minimisation."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.audit import AuditError, DecisionLog, pseudonym, read_log, replay_record
from feedrank.audit.encode import encode_request
from feedrank.audit.inputs import BATCH_COLUMNS
from feedrank.audit.record import parse_record
from feedrank.canonical import canonical_json
from tests.audit._helpers import (
    DATA_KEY,
    KEY,
    assert_same_array,
    assert_same_batch,
    assert_same_context,
    lines,
    network,
    opened,
    parsed,
    records_of,
    requests,
    write_log,
)
from tests.strategies import NOW, feeds, rich_pipeline


def _no_constants(name: str) -> Any:
    raise AssertionError(f"the log holds the non-JSON number {name}")


def test_every_postbatch_column_is_stored() -> None:
    assert {f.name for f in dataclasses.fields(fr.PostBatch)} == BATCH_COLUMNS


@pytest.mark.parametrize("arrays", ["binary", "json"])
def test_inputs_rebuild_the_exact_batch_and_context(tmp_path: Path, arrays: str) -> None:
    path = tmp_path / "log.jsonl"
    reqs = write_log(path, 6, arrays=arrays)
    contents = read_log(path)
    assert contents.report.ok
    assert len(contents.records) == len(reqs)
    assert [r.is_sealed for r in contents.records] == [r.ctx.viewer is not None for r in reqs]
    for req, record in zip(reqs, records_of(path), strict=True):
        batch = record.batch()
        assert_same_batch(req.batch, batch)
        assert_same_context(req.ctx, record.context(batch))
        assert record.now == req.ranking.now


@pytest.mark.parametrize("arrays", ["binary", "json"])
def test_outputs_are_what_the_ranking_computed(tmp_path: Path, arrays: str) -> None:
    path = tmp_path / "log.jsonl"
    reqs = write_log(path, 6, arrays=arrays)
    for req, record in zip(reqs, records_of(path), strict=True):
        r = req.ranking
        out = record.require_outputs()
        assert out.page.ids == r.post_ids
        assert (out.page.start, out.page.stop) == (r.page_start, r.page_stop)
        assert out.term_names == list(r.term_names)
        assert out.factor_names == list(r.factor_names)
        assert_same_array(record.order(), r.kept[r.order], "order")
        assert_same_array(record.scores(), r.scores[r.order], "scores")
        assert_same_array(np.array(out.page.scores), r.page_scores, "page scores")
        assert_same_array(record.contributions(), r.contributions[r.page], "contributions")
        assert_same_array(record.factors(), r.factors[r.page], "factors")
        removed = dict(
            zip(r.candidates.ids[record.removed_rows()], out.removed.reasons, strict=True)
        )
        assert removed == r.removed()
        assert len(record.moves()) == r.moves.rows.shape[0]
        assert out.next_cursor == r.next_cursor
        assert record.spec.fingerprint == req.pipeline.fingerprint
        assert record.pipeline().fingerprint == req.pipeline.fingerprint


def test_every_line_is_canonical_json_hashed_without_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    write_log(path, 4)
    prev = "0" * 64
    for seq, raw in enumerate(lines(path), start=1):
        data = json.loads(raw, parse_constant=_no_constants)
        assert raw == (canonical_json(data) + "\n").encode()
        body = {k: v for k, v in data.items() if k != "hash"}
        assert data["hash"] == hashlib.sha256(canonical_json(body).encode()).hexdigest()
        assert (data["seq"], data["prev"], data["v"]) == (seq, prev, 2)
        prev = data["hash"]


@pytest.mark.parametrize("arrays", ["binary", "json"])
def test_floats_round_trip_bit_for_bit_and_never_as_nan_tokens(tmp_path: Path, arrays: str) -> None:
    net = network()
    batch = net.batch()
    base = net.context(net.viewers[0].id, batch)
    tricky = np.array([0.1 + 0.2, -0.0, 5e-324, 1e308, math.pi, -1 / 3, np.nan, np.inf, -np.inf])
    affinity = np.resize(tricky, len(batch))
    ctx = dataclasses.replace(base, affinity=affinity)
    # The ranking is computed on the real context; the log stores the tricky
    # one (encode_request only checks rows and now), to exercise the codec.
    ranking = fr.preset("chronological").rank(batch, base)
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY, data_key=DATA_KEY, arrays=arrays) as log:  # type: ignore[arg-type]
        log.append(ranking, ctx)
    text = path.read_text()
    json.loads(text, parse_constant=_no_constants)
    record = read_log(path).records[0]
    json.loads(record.open_seal(DATA_KEY), parse_constant=_no_constants)
    assert_same_array(record.unseal(DATA_KEY).context(batch).affinity, affinity, "affinity")


def test_viewer_is_pseudonymised_minimised_and_sealed(tmp_path: Path) -> None:
    net = network()
    batch = net.batch()
    viewer = net.viewers[4]
    authors = set(batch.author_ids.tolist())
    topics = set(batch.topics.vocabulary)
    texts = " ".join(batch.text.tolist()).lower()
    present = next(w for w in texts.split() if w.isalpha() and len(w) > 3)
    extra = fr.Viewer(
        **{
            **viewer.model_dump(),
            "id": "private-viewer-id",
            "follows": viewer.follows | {"nobody-1", "nobody-2"},
            "blocked": {"nobody-3", str(batch.author_ids[0])},
            "muted": {"nobody-4"},
            "seen": {"elsewhere-1", str(batch.ids[3])},
            "muted_words": (present, "zyzzyvas-nowhere"),
            "interests": {**viewer.interests, "topic-no-candidate-has": 3.0},
        }
    )
    ctx = fr.Context.build(batch, now=net.now, viewer=extra)
    ranking = fr.preset("balanced").rank(batch, ctx)
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        log.append(ranking, ctx)
    clear = parsed(path)[0]
    visible = json.dumps({**clear, "inputs": {**clear["inputs"], "sealed": None}}).encode()
    for secret in (KEY.hex().encode(), b"private-viewer-id", str(batch.author_ids[0]).encode()):
        assert secret not in visible  # what is not ciphertext holds nothing of it
    assert KEY not in path.read_bytes()
    assert DATA_KEY not in path.read_bytes()
    assert clear["outputs"] is None
    assert set(clear["inputs"]) == {"pseudonym_period", "sealed", "viewer"}
    assert clear["inputs"]["viewer"] == {"id": pseudonym("private-viewer-id", KEY)}
    stored = opened(path)[0]["inputs"]["viewer"]
    assert stored["id"] == pseudonym("private-viewer-id", KEY)
    assert stored["follows"] == sorted(extra.follows & authors)
    assert stored["blocked"] == [str(batch.author_ids[0])]
    assert stored["muted"] == []
    assert stored["seen"] == [str(batch.ids[3])]
    assert stored["interests"] == {k: v for k, v in extra.interests.items() if k in topics}
    assert "topic-no-candidate-has" not in stored["interests"]
    assert stored["muted_words"] == [present]
    assert stored["languages"] == list(extra.languages)
    record = read_log(path).records[0].unseal(DATA_KEY)
    assert record.viewer() == fr.Viewer(
        **{
            **extra.model_dump(),
            "id": pseudonym("private-viewer-id", KEY),
            "follows": extra.follows & authors,
            "blocked": {str(batch.author_ids[0])},
            "muted": set(),
            "seen": {str(batch.ids[3])},
            "muted_words": (present,),
            "interests": {k: v for k, v in extra.interests.items() if k in topics},
        }
    )
    assert replay_record(record, fr.preset("balanced")).ok


def test_pseudonyms_depend_on_the_key() -> None:
    assert pseudonym("u1", KEY) == pseudonym("u1", KEY)
    assert pseudonym("u1", KEY) != pseudonym("u2", KEY)
    assert pseudonym("u1", KEY) != pseudonym("u1", KEY[::-1])


def test_request_ids_are_derived_deterministically_or_kept() -> None:
    reqs = requests(3)
    a = encode_request(reqs[0].ranking, reqs[0].ctx, key=KEY, data_key=DATA_KEY)
    b = encode_request(reqs[0].ranking, reqs[0].ctx, key=KEY, data_key=DATA_KEY)
    c = encode_request(reqs[2].ranking, reqs[2].ctx, key=KEY, data_key=DATA_KEY)
    assert a.request_id == b.request_id != c.request_id
    assert len(a.request_id) == 32
    given_id = encode_request(
        reqs[0].ranking, reqs[0].ctx, key=KEY, data_key=DATA_KEY, request_id="abc"
    )
    assert given_id.request_id == "abc"
    # A sealed request is sealed with a fresh nonce each time: same record, other bytes.
    assert a.line(1, "0" * 64) != b.line(1, "0" * 64)
    opened_a, opened_b = (
        parse_record(json.loads(x.line(1, "0" * 64)[0])).open_seal(DATA_KEY) for x in (a, b)
    )
    assert opened_a == opened_b
    anonymous = requests(6)[5]
    assert anonymous.ctx.viewer is None
    clear = [encode_request(anonymous.ranking, anonymous.ctx, key=KEY) for _ in range(2)]
    assert clear[0].line(1, "0" * 64) == clear[1].line(1, "0" * 64)
    for bad in ("", "x" * 257, "a\x00b"):
        with pytest.raises(AuditError, match="request_id"):
            encode_request(reqs[0].ranking, reqs[0].ctx, key=KEY, data_key=DATA_KEY, request_id=bad)


def test_context_of_another_request_is_refused() -> None:
    reqs = requests(2)
    later = dataclasses.replace(reqs[0].ctx, now=reqs[0].ctx.now + 1)
    with pytest.raises(AuditError, match="ctx"):
        encode_request(reqs[0].ranking, later, key=KEY, data_key=DATA_KEY)


def test_handmade_batch_with_every_column_kind(tmp_path: Path) -> None:
    t = NOW
    posts = [
        fr.Post(
            id="p1",
            author_id="ann",
            created_at=t,
            counts={"like": 3, "downvote": 1},
            features={"quality": 0.25},
            topics=("jazz", "art"),
            labels=("satire",),
            lang="en",
            reply_to="p0",
            url="https://example.org/1",
            text="nul\x00inside and ünïcödé \u2028 line",
            embedding=(0.5, -0.0, 1e-300),
        ),
        fr.Post(
            id="p2",
            author_id="bob",
            created_at=t - timedelta(hours=5),
            repost_of="p9",
            quote_of="p8",
            text="plain",
        ),
        fr.Post(id="p3", author_id="ann", created_at=t - timedelta(minutes=1), lang="de"),
    ]
    batch = fr.PostBatch.from_posts(posts, [fr.Author(id="ann", followers=7)])
    viewer = fr.Viewer(id="v", follows={"ann"}, interests={"jazz": 2.0}, embedding=(1.0, 0.0, 0.0))
    ctx = fr.Context.build(batch, now=t, viewer=viewer)
    pipe = rich_pipeline(limit=2)
    ranking = pipe.rank(batch, ctx)
    for arrays in ("binary", "json"):
        path = tmp_path / f"{arrays}.jsonl"
        with DecisionLog(path, key=KEY, data_key=DATA_KEY, arrays=arrays) as log:
            log.append(ranking, ctx)
        record = read_log(path).records[0].unseal(DATA_KEY)
        assert_same_batch(batch, record.batch())
        assert record.batch().to_posts() == batch.to_posts()
        assert replay_record(record, pipe).ok


def test_records_are_validated_on_reading(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    reqs = write_log(path, 6)
    assert reqs[5].ctx.viewer is None
    data = parsed(path)[5]  # the anonymous feed: in clear
    assert "sealed" not in data["inputs"]
    with pytest.raises(AuditError, match="outputs"):
        parse_record({**data, "outputs": {}})
    with pytest.raises(AuditError, match="outputs"):
        parse_record({**data, "outputs": None})
    broken = json.loads(json.dumps(data))
    broken["inputs"]["batch"]["created_at"] = {"b64": "!!", "dtype": "<i8", "shape": [150]}
    with pytest.raises(AuditError, match="created_at"):
        parse_record(broken).batch()
    broken["inputs"]["batch"]["created_at"] = {"b64": "AAAA", "dtype": "<c16", "shape": [1]}
    with pytest.raises(AuditError, match="created_at"):
        parse_record(broken).batch()
    extra = json.loads(json.dumps(data))
    extra["inputs"]["context"]["unheard_of"] = extra["inputs"]["context"]["seen"]
    with pytest.raises(AuditError, match="unheard_of"):
        parse_record(extra).context()
    missing = json.loads(json.dumps(data))
    del missing["inputs"]["context"]["seen"]
    with pytest.raises(AuditError, match="seen"):
        parse_record(missing).context()
    in_clear = json.loads(json.dumps(data))
    in_clear["inputs"]["viewer"] = {"id": "v"}
    with pytest.raises(AuditError) as info:
        parse_record(in_clear)
    assert info.value.field == "inputs.viewer"
    stringly = {**data, "now": str(data["now"])}
    with pytest.raises(AuditError, match="now"):
        parse_record(stringly)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    feed=feeds(max_size=25),
    limit=st.integers(1, 8),
    arrays=st.sampled_from(["binary", "json"]),
    second_page=st.booleans(),
)
def test_any_feed_logs_and_replays_exactly(
    feed: Any, limit: int, arrays: Any, second_page: bool
) -> None:
    pipe = rich_pipeline(limit=limit)
    ranking = pipe.rank(feed.batch, feed.ctx)
    if second_page and ranking.next_cursor is not None:
        ranking = pipe.rank(feed.batch, feed.ctx, cursor=ranking.next_cursor)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "log.jsonl")
        with DecisionLog(path, key=KEY, data_key=DATA_KEY, arrays=arrays, fsync="never") as log:
            log.append(ranking, feed.ctx)
        contents = read_log(path)
    assert contents.report.ok
    record = contents.records[0]
    assert record.is_sealed == (feed.viewer is not None)
    record = record.unseal(DATA_KEY)
    batch = record.batch()
    assert_same_batch(feed.batch, batch)
    assert_same_context(feed.ctx, record.context(batch))
    result = replay_record(record, pipe)
    assert result.ok, [str(d) for d in result.diffs]
