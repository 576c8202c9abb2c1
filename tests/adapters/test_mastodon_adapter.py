"""The Mastodon adapter on status JSON written from the documented Status and
Account entity fields (fixtures/mastodon_statuses.json, examples/mastodon_timeline.json)."""

from __future__ import annotations

import copy
import io
import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import feedrank as fr
from feedrank.adapters.mastodon import (
    account_to_author,
    html_to_text,
    load_timeline,
    status_to_post,
    timeline_from_statuses,
)
from feedrank.adapters.mastodon.timeline import MAX_TIMELINE_BYTES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = HERE / "fixtures"
TIMELINE = ROOT / "examples" / "mastodon_timeline.json"
K = fr.InteractionKind
UTC = timezone.utc


def statuses() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / "mastodon_statuses.json").read_text())
    return data


def by_text(needle: str) -> dict[str, Any]:
    return next(s for s in statuses() if needle in (s["reblog"] or s)["content"])


# ------------------------------------------------------------------ mapping
def test_plain_status_maps_every_documented_field() -> None:
    status = by_text("album is finished")
    post = status_to_post(status)
    assert post.id == status["id"]
    assert post.author_id == status["account"]["id"] == "1001"
    assert post.created_at == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert post.counts == {K.LIKE: 205, K.REPOST: 48, K.REPLY: 23}
    assert post.topics == ("music", "violin")
    assert post.lang == "en"
    assert post.url == status["url"]
    assert post.labels == ()
    assert post.reply_to is None
    assert post.repost_of is None
    assert post.quote_of is None
    assert post.features == {"media_count": 0.0}
    assert post.text is not None
    assert post.text.startswith("The album is finished! 11 pieces")
    assert "https://music.example/mira/after-rain" in post.text  # invisible spans kept
    assert "<" not in post.text


def test_reply_sets_reply_to_and_top_level_filter_removes_it() -> None:
    reply = by_text("congrats!!")
    post = status_to_post(reply)
    assert post.reply_to == reply["in_reply_to_id"]
    assert post.text == "@mira congrats!! the first track is gorgeous"
    batch = fr.PostBatch.from_posts([post])
    pipe = fr.preset("mastodon-trends")
    now = post.created_at + timedelta(minutes=5)
    assert pipe.rank(batch, fr.Context.build(batch, now=now)).removed() == {post.id: "reply"}


def test_sensitive_spoiler_and_visibility_become_labels() -> None:
    spoiler = status_to_post(by_text("projection set"))
    assert spoiler.labels == ("sensitive", "spoiler")
    assert spoiler.text is not None
    assert spoiler.text.startswith("flashing lights\nRehearsal clip")
    unlisted = status_to_post(by_text("Wind warning"))
    assert unlisted.labels == ("not_public", "visibility:unlisted", "bot")
    private = status_to_post(by_text("rough week"))
    assert "not_public" in private.labels
    assert "visibility:private" in private.labels
    poll = next(s for s in json.loads(TIMELINE.read_text()) if s["poll"] is not None)
    assert status_to_post(poll).labels == ("poll",)


def test_trends_preset_excludes_sensitive_spoiler_and_not_public_posts() -> None:
    posts = [status_to_post(s) for s in statuses() if s["reblog"] is None]
    batch = fr.PostBatch.from_posts(posts)
    now = max(p.created_at for p in posts) + timedelta(minutes=1)
    removed = fr.preset("mastodon-trends").rank(batch, fr.Context.build(batch, now=now)).removed()
    for post in posts:
        if {"sensitive", "spoiler", "not_public"} & set(post.labels) and post.reply_to is None:
            assert removed[post.id].startswith("label:")


def test_language_tags_media_and_url_fallback() -> None:
    ja = status_to_post(by_text("早咲きの桜"))
    assert ja.lang == "ja"
    assert ja.topics == ("photography", "桜")
    assert ja.features["media_count"] == 2.0
    direct = next(s for s in statuses() if s["visibility"] == "direct")
    post = status_to_post(direct)
    assert post.lang is None  # language null
    assert post.url == direct["uri"]  # url null falls back to uri
    assert K.QUOTE not in post.counts  # quotes_count absent (before Mastodon 4.5)
    assert "visibility:direct" in post.labels


def test_quotes_accepted_full_and_shallow_pending_ignored() -> None:
    full = by_text("Migrar no es solo")
    quoted = full["quote"]["quoted_status"]["id"]
    assert status_to_post(full).quote_of == quoted
    shallow = next(s for s in statuses() if s["id"] == "113990412000170002")
    assert status_to_post(shallow).quote_of == quoted
    pending = next(s for s in statuses() if s["id"] == "113990412000170003")
    assert status_to_post(pending).quote_of is None


def test_html_to_text_handles_breaks_entities_lists_and_pre() -> None:
    assert html_to_text("<p>a &lt;b&gt; &amp; c<br/>next</p><p>para</p>") == (
        "a <b> & c\nnext\n\npara"
    )
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "one\ntwo"
    assert html_to_text("<pre>  x = 1\n  y = 2</pre>") == "x = 1\n  y = 2"
    assert html_to_text("<p>lots   of \n  space</p>") == "lots of space"
    assert html_to_text("") == ""
    assert html_to_text("<p>unclosed <b>tag") == "unclosed tag"


# ------------------------------------------------------------------ boosts
def test_boost_mode_ranks_the_timeline_entry_with_the_original_content() -> None:
    boost = by_text("replication study")
    post = status_to_post(boost)
    original = boost["reblog"]
    assert post.id == boost["id"] != original["id"]
    assert post.author_id == boost["account"]["id"] == "1002"  # the booster
    assert post.created_at == datetime(2026, 3, 2, 8, 20, tzinfo=UTC)  # boost time
    assert post.repost_of == original["id"]
    assert post.counts == {K.LIKE: 642, K.REPOST: 311, K.REPLY: 58, K.QUOTE: 12}
    assert post.topics == ("openscience", "reproducibility")
    assert post.text is not None
    assert post.text.startswith("Our replication study")


def test_original_mode_ranks_the_boosted_status_itself() -> None:
    boost = by_text("replication study")
    post = status_to_post(boost, boosts="original")
    original = boost["reblog"]
    assert post.id == original["id"]
    assert post.author_id == original["account"]["id"] == "1007"
    assert post.created_at == datetime(2026, 3, 1, 12, 55, tzinfo=UTC)
    assert post.repost_of is None


def test_timeline_modes_dedupe_and_record_boosts_as_social_proof() -> None:
    entries = json.loads(TIMELINE.read_text())
    boosts = [s for s in entries if s["reblog"] is not None]
    as_entries = timeline_from_statuses(entries)
    assert len(as_entries.posts) == len(entries)
    assert [p.id for p in as_entries.posts] == [s["id"] for s in entries]
    originals = timeline_from_statuses(entries, boosts="original")
    distinct = {(s["reblog"] or s)["id"] for s in entries}
    assert len(originals.posts) == len(distinct) < len(entries)
    assert len({p.id for p in originals.posts}) == len(originals.posts)
    for timeline in (as_entries, originals):
        assert len(timeline.network) == len(boosts)
        assert {(i.viewer_id, i.post_id) for i in timeline.network} == {
            (s["account"]["id"], s["reblog"]["id"]) for s in boosts
        }
        assert all(i.kind is K.REPOST for i in timeline.network)
    # two accounts the viewer follows boosted the paper: social proof 2
    paper = next(s["reblog"]["id"] for s in boosts if "replication" in s["reblog"]["content"])
    batch = originals.batch()
    viewer = fr.Viewer(id="1000", follows=originals.timeline_accounts - {"1000"})
    ctx = fr.Context.build(batch, now=datetime(2026, 3, 2, 9, tzinfo=UTC), viewer=viewer,
                           network=originals.network)  # fmt: skip
    row = int(batch.index_of([paper])[0])
    assert not ctx.in_network[row]
    assert int(ctx.social_proof_count[row]) == 2


def test_authors_carry_followers_and_instance() -> None:
    account = json.loads((FIXTURES / "mastodon_account.json").read_text())
    author = account_to_author(account)
    assert author.id == "1001"
    assert author.followers == account["followers_count"]
    assert author.created_at == datetime(2022, 11, 5, tzinfo=UTC)
    assert author.attributes == {"acct": "mira", "instance": "local", "bot": "false"}
    timeline = load_timeline(TIMELINE)
    names = {a.id: a for a in timeline.authors}
    assert names["1002"].attributes["instance"] == "fedi.example"
    assert names["1005"].attributes["bot"] == "true"
    assert "1007" in names  # boosted author, not followed
    batch = timeline.batch()
    row = int(batch.index_of([timeline.posts[0].id])[0])
    assert batch.author_followers[row] == names[timeline.posts[0].author_id].followers


# ------------------------------------------------------------------ the example file
def test_saved_home_timeline_is_realistic() -> None:
    entries = json.loads(TIMELINE.read_text())
    assert 18 <= len(entries) <= 25
    assert sum(s["reblog"] is not None for s in entries) >= 3
    assert sum(s["in_reply_to_id"] is not None for s in entries) >= 2
    assert any(s["sensitive"] for s in entries)
    assert any(s["spoiler_text"] for s in entries)
    languages = {(s["reblog"] or s)["language"] for s in entries}
    assert {"en", "de", "ja", "es", "fr"} <= languages
    times = [s["created_at"] for s in entries]
    assert times == sorted(times, reverse=True)  # newest first, as the API returns
    ids = [int(s["id"]) for s in entries]
    assert ids == sorted(ids, reverse=True)  # snowflake ids grow with time
    for status in entries:  # boosts are not older than what they boost
        if status["reblog"] is not None:
            assert status["created_at"] > status["reblog"]["created_at"]


def test_example_ranks_the_saved_timeline_and_explains_it() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mastodon_home.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("balanced 1 — fingerprint")
    assert "#1 " in out
    assert "#10 " in out
    assert "× age" in out
    assert "in_network" in out
    trends = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mastodon_home.py"), "--preset",
         "mastodon-trends"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert trends.returncode == 0, trends.stderr
    assert "label:sensitive" in trends.stdout
    assert "'reply'" in trends.stdout


def test_ranking_is_deterministic_across_input_order() -> None:
    entries = json.loads(TIMELINE.read_text())
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def rank(items: list[dict[str, Any]]) -> list[str]:
        timeline = timeline_from_statuses(items, boosts="original")
        batch = timeline.batch()
        viewer = fr.Viewer(id="1000", follows=timeline.timeline_accounts)
        ctx = fr.Context.build(batch, now=now, viewer=viewer, network=timeline.network)
        return fr.preset("balanced").rank(batch, ctx).all_post_ids

    shuffled = list(entries)
    random.Random(7).shuffle(shuffled)
    # the first occurrence of a doubly-reached status may differ, its ranking may not
    assert rank(entries) == rank(shuffled)


# ------------------------------------------------------------------ bad input
def error_of(status: object, **kwargs: Any) -> fr.InputError:
    with pytest.raises(fr.InputError) as info:
        status_to_post(status, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_missing_field_names_the_status_and_the_field() -> None:
    status = by_text("album is finished")
    del status["favourites_count"]
    err = error_of(status)
    assert (err.post_id, err.field, err.message) == (status["id"], "favourites_count", "missing")
    assert "an integer >= 0" in str(err)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("favourites_count", "205", "got a JSON string"),
        ("reblogs_count", -1, "is -1"),
        ("replies_count", True, "got a JSON boolean"),
        ("sensitive", "no", "got a JSON string"),
        ("created_at", "2026-03-01T23:30:00", "cannot read"),
        ("created_at", "1772407800", "cannot read"),
        ("created_at", "2026-03-01", "cannot read"),
        ("created_at", 1772407800, "got a JSON integer"),
        ("visibility", None, "got a JSON null"),
        ("tags", {"name": "x"}, "got a JSON object"),
        ("content", None, "got a JSON null"),
        ("account", "1001", "got a JSON string"),
        ("language", 3, "got a JSON integer"),
    ],
)
def test_wrong_types_are_refused_with_the_field(field: str, value: object, expected: str) -> None:
    status = by_text("album is finished")
    status[field] = value
    err = error_of(status)
    assert err.post_id == status["id"]
    assert err.field == field
    assert expected in err.message


def test_nested_errors_name_the_path_inside_the_status() -> None:
    boost = by_text("replication study")
    boost["reblog"]["account"]["followers_count"] = "many"
    err = error_of(boost)
    assert (err.post_id, err.field) == (boost["id"], "reblog.account.followers_count")
    boost = by_text("replication study")
    boost["reblog"]["tags"][1] = {"url": "https://x.example/tags/y"}
    assert error_of(boost).field == "reblog.tags[1].name"
    boost = by_text("replication study")
    boost["reblog"]["reblog"] = copy.deepcopy(boost["reblog"])
    assert error_of(boost).field == "reblog.reblog"


def test_missing_id_and_non_object_statuses() -> None:
    status = by_text("album is finished")
    del status["id"]
    err = error_of(status)
    assert (err.post_id, err.field) == (None, "id")
    assert error_of(["not", "a", "status"]).message == "got a JSON array"
    err = error_of({**by_text("album is finished"), "id": ""})
    assert err.message == "is empty"


def test_timeline_errors_say_which_element() -> None:
    entries = json.loads(TIMELINE.read_text())
    entries[3] = {**entries[3], "favourites_count": None}
    with pytest.raises(fr.InputError) as info:
        timeline_from_statuses(entries)
    assert info.value.source == "statuses[3]"
    assert info.value.post_id == entries[3]["id"]
    assert str(info.value).startswith(f"statuses[3], post '{entries[3]['id']}'")
    with pytest.raises(fr.InputError, match="statuses\\[1\\]: got a JSON string"):
        timeline_from_statuses([statuses()[0], "oops"])
    with pytest.raises(fr.InputError, match="repeats statuses\\[0\\]"):
        timeline_from_statuses([statuses()[0], statuses()[0]])
    with pytest.raises(fr.InputError, match="a JSON array of Status objects"):
        timeline_from_statuses({"statuses": []})
    with pytest.raises(fr.InputError, match="'boost' or 'original'"):
        timeline_from_statuses([], boosts="both")  # type: ignore[arg-type]


def test_load_timeline_reports_json_errors_with_line_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "home.json"
    bad.write_text('[\n  {"id": "1",\n  oops\n]', encoding="utf-8")
    with pytest.raises(fr.InputError) as info:
        load_timeline(bad)
    assert info.value.line == 3
    assert info.value.source == str(bad)
    broken = json.loads(TIMELINE.read_text())
    broken[5]["account"]["created_at"] = "yesterday"
    stream = io.StringIO(json.dumps(broken))
    with pytest.raises(fr.InputError) as info:
        load_timeline(stream)
    assert info.value.field == "account.created_at"
    assert info.value.source == "<stream>: statuses[5]"
    assert load_timeline(io.StringIO("[]")).posts == ()


def test_load_timeline_refuses_a_key_given_twice_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "home.json"
    text = json.dumps(json.loads(TIMELINE.read_text()), indent=1)
    first_id = text.index('"id"')
    path.write_text(text[:first_id] + '"id": "forged",\n' + text[first_id:], encoding="utf-8")
    with pytest.raises(fr.InputError) as info:
        load_timeline(path)
    line = text[:first_id].count("\n") + 2
    assert (info.value.source, info.value.line, info.value.field) == (str(path), line, "[0].id")
    assert "duplicate key 'id'" in str(info.value)


def test_load_timeline_locates_bad_utf8_and_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "home.json"
    path.write_bytes(b'[\n  {"id": "1", "content": "caf\xe9"}\n]')
    with pytest.raises(fr.InputError) as info:
        load_timeline(path)
    assert (info.value.source, info.value.line) == (str(path), 2)
    assert "not valid UTF-8" in str(info.value)
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(fr.InputError, match="nested more than"):
        load_timeline(path)


def test_load_timeline_refuses_a_file_over_its_maximum(tmp_path: Path) -> None:
    assert MAX_TIMELINE_BYTES == 64 << 20
    size = len(TIMELINE.read_bytes())
    assert load_timeline(TIMELINE, max_bytes=size).posts
    with pytest.raises(fr.InputError, match=f"larger than the maximum of {size - 1} bytes"):
        load_timeline(TIMELINE, max_bytes=size - 1)
