"""The author's visibility report, checked against the log records themselves and
against the control ranked again by hand."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import feedrank as fr
from feedrank.audit import read_log
from feedrank.audit.statements import statements
from feedrank.audit.visibility import VIEWER_CHOICES, VisibilityReport, visibility_report
from feedrank.cli.app import main
from tests.audit.keys import DATA_KEY, DATA_KEY_HEX
from tests.audit.ledger_log import Planted, write_planted_log
from tests.browser import chromium, shown_text


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted, VisibilityReport]:
    path = tmp_path_factory.mktemp("ledger") / "log.jsonl"
    planted = write_planted_log(path)
    return path, planted, visibility_report(path, planted.author, data_key=DATA_KEY)


def _records(path: Path) -> list[fr.audit.AuditRecord]:
    return [r.unseal(DATA_KEY) for r in read_log(path).records]


def test_counts_equal_the_counts_in_the_log_records(logged) -> None:  # type: ignore[no-untyped-def]
    path, planted, report = logged
    expected: dict[str, dict[str, object]] = {}
    for record in _records(path):
        batch = record.batch()
        out = record.require_outputs()
        removed = dict(zip(record.removed_rows().tolist(), out.removed.reasons, strict=True))
        kept = set(record.order().tolist())
        labels = {str(batch.ids[i]): batch.labels.row(i) for i in range(len(batch))}
        for row in np.flatnonzero(batch.author_ids == planted.author).tolist():
            pid = str(batch.ids[row])
            e = expected.setdefault(
                pid, {"candidate": 0, "positions": [], "spam": 0, "removed": 0, "demoted": 0}
            )
            e["candidate"] += 1  # type: ignore[operator]
            if pid in out.page.ids:
                e["positions"].append(out.page.start + out.page.ids.index(pid) + 1)  # type: ignore[attr-defined]
            if row in removed:
                e["removed"] += 1  # type: ignore[operator]
                e["spam"] += removed[row] == "label:spam"  # type: ignore[operator]
            if row in kept and "borderline" in labels[pid]:
                e["demoted"] += 1  # type: ignore[operator]
    assert {p.post_id for p in report.posts} == set(expected)
    assert report.requests == len(_records(path))
    demoted_somewhere = spam_somewhere = False
    for post in report.posts:
        e = expected[post.post_id]
        assert post.candidate == e["candidate"]
        assert post.served == len(e["positions"])  # type: ignore[arg-type]
        if e["positions"]:
            assert post.mean_position == pytest.approx(np.mean(e["positions"]))
        assert post.removed == e["removed"]
        spam = [r for r in post.removals if r.reason == "label:spam"]
        assert sum(r.times for r in spam) == e["spam"]
        assert all(r.policy == "spam" and r.path == "filters[6]" for r in spam)
        demotions = [d for d in post.demotions if d.policy == "borderline"]
        assert sum(d.times for d in demotions) == e["demoted"]
        assert all(d.mean_value == pytest.approx(0.3) for d in demotions)
        demoted_somewhere |= bool(e["demoted"])
        spam_somewhere |= bool(e["spam"])
    assert demoted_somewhere
    assert spam_somewhere


def test_the_counterfactual_is_the_control_ranked_again_by_hand(logged) -> None:  # type: ignore[no-untyped-def]
    path, planted, report = logged
    control = fr.preset("chronological")
    served: dict[str, list[int]] = {}
    differences: dict[str, int] = {}
    for record in _records(path):
        batch = record.batch()
        ranking = control.rank(batch, record.context(batch), limit=record.page_input().limit)
        page = record.require_outputs().page.ids
        for row in np.flatnonzero(batch.author_ids == planted.author).tolist():
            pid = str(batch.ids[row])
            if pid in ranking.post_ids:
                served.setdefault(pid, []).append(ranking.post_ids.index(pid) + 1)
            differences[pid] = differences.get(pid, 0) + (pid in page) - (pid in ranking.post_ids)
    for post in report.posts:
        mine = served.get(post.post_id, [])
        assert post.control_served == len(mine)
        if mine:
            assert post.control_mean_position == pytest.approx(np.mean(mine))
        assert post.served_difference == differences[post.post_id]
        lo, hi = post.interval
        assert lo <= post.served_difference <= hi
    assert report.served_difference == sum(differences.values())
    assert any(p.control_served for p in report.posts)


def test_the_bootstrap_is_seeded_and_documented(logged) -> None:  # type: ignore[no-untyped-def]
    path, planted, report = logged
    again = visibility_report(path, planted.author, data_key=DATA_KEY)
    assert again.to_dict() == report.to_dict()
    other = visibility_report(path, planted.author, data_key=DATA_KEY, seed=7, n_boot=500)
    assert other.to_dict()["bootstrap"] == {"resamples": 500, "seed": 7, "level": 0.95}
    assert report.interval[0] <= report.served_difference <= report.interval[1]


def test_viewers_choices_are_counted_but_never_named(logged) -> None:  # type: ignore[no-untyped-def]
    _, _, report = logged
    reasons = {r.reason for p in report.posts for r in p.removals}
    assert VIEWER_CHOICES in reasons
    assert not reasons & {"seen", "muted_author", "blocked_author", "muted_word"}
    assert not any(r.startswith("see_fewer") for r in reasons)
    assert "muted_author" not in report.table()


def test_the_window_keeps_the_requests_ranked_in_it(logged) -> None:  # type: ignore[no-untyped-def]
    path, planted, report = logged
    now = planted.net.now
    after = visibility_report(path, planted.author, data_key=DATA_KEY, since=now + timedelta(1))
    assert after.requests == 0
    assert after.posts == ()
    inside = visibility_report(path, planted.author, data_key=DATA_KEY, since=now, until=now)
    assert inside.requests == report.requests


def test_an_author_without_posts_and_a_sealed_log_without_its_key(logged) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = logged
    nobody = visibility_report(path, "no-such-author", data_key=DATA_KEY)
    assert nobody.requests == 0
    assert nobody.posts == ()
    assert "Nothing removed or demoted a post." in nobody.table()
    with pytest.raises(fr.audit.AuditError, match="sealed: needs the data key"):
        visibility_report(path, "no-such-author")
    args = ["audit", "visibility", str(path), "--author", "u00"]
    assert main(args, out=io.StringIO()) == 2


def test_the_command_writes_table_json_and_html(logged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, planted, report = logged
    key = tmp_path / "data.key"
    key.write_text(DATA_KEY_HEX)
    base = ["audit", "visibility", str(path), "--author", planted.author, "--data-key-file"]
    buf = io.StringIO()
    assert main([*base, str(key)], out=buf) == 0
    assert buf.getvalue().rstrip("\n") == report.table()
    buf = io.StringIO()
    assert main([*base, str(key), "--format", "json"], out=buf) == 0
    assert json.loads(buf.getvalue()) == json.loads(json.dumps(report.to_dict()))
    page = tmp_path / "report.html"
    args = [*base, str(key), "--format", "html", "--output", str(page)]
    assert main(args, out=io.StringIO()) == 0
    assert page.read_text(encoding="utf-8") == report.html()
    assert main([*base, str(key), "--since", "yesterday"], out=io.StringIO()) == 2


@pytest.mark.skipif(chromium() is None, reason="headless Chromium is not installed")
def test_the_html_page_shows_every_post_and_every_reason(logged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, report = logged
    shown = shown_text(tmp_path, report.html())
    assert f"Visibility of the posts of {report.author}" in shown
    for post in report.posts:
        assert post.post_id in shown
        for line in [*(r.text() for r in post.removals), *(d.text() for d in post.demotions)]:
            assert " ".join(line.split()) in shown
    for text in report.policies.values():
        assert " ".join(text.split()) in shown


def test_the_log_report_shows_both_amplifications_labelled(logged) -> None:  # type: ignore[no-untyped-def]
    from feedrank.audit.reports import log_report

    path, planted, _ = logged
    report = log_report(path, planted.groups, data_key=DATA_KEY)
    text = report.summary()
    assert "reach-based (Huszár et al. 2022)" in text
    assert "position-weighted: the group's exposure" in text
    for group, amp in report.amplification.items():
        row = next(line for line in text.splitlines() if line.startswith(group))
        assert f"{amp.percent:+.1f}%" in row
        assert f"{amp.position_weighted:+.1f}%" in row
    data = report.to_dict()["amplification"]
    assert set(data[planted.flagged_group]) >= {"percent", "position_weighted", "reach_interval"}


def test_removals_by_a_reranker_and_author_settings_are_named(tmp_path: Path) -> None:
    """Mastodon trends: the author's other posts are removed by the one-per-author
    re-ranker, and a post the author marked sensitive by the labels filter, whose
    policy is a ranking preference (the author's own setting)."""
    from datetime import datetime, timezone

    from feedrank.audit import DecisionLog
    from tests.audit.keys import KEY

    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    posts = [
        fr.Post(
            id=f"p{i}",
            author_id="ann",
            created_at=now - timedelta(minutes=10 * i),
            counts={"like": 10 + i},
            labels=("sensitive",) if i == 2 else (),
        )
        for i in range(4)
    ]
    batch = fr.PostBatch.from_posts(posts)
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY) as log:
        fr.preset("mastodon-trends").rank(batch, fr.Context.build(batch, now=now), audit=log)
    report = visibility_report(path, "ann")
    removals = {r.reason: r for p in report.posts for r in p.removals}
    assert removals["one_per_author"].path == "rerankers[0]"
    assert removals["one_per_author"].effect == "ranking_preference"
    assert removals["label:sensitive"].path == "filters[1]"
    assert removals["label:sensitive"].policy == "trends-eligibility"
    assert removals["label:sensitive"].effect == "ranking_preference"
    assert statements(path) == []  # no restriction: nothing to file
