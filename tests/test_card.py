"""The algorithm card: readable Markdown, self-contained HTML, rendered by a browser."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path

import pytest

import feedrank as fr
import feedrank.io as fio
from feedrank.audit.card import build_card, card_html, card_markdown
from feedrank.cli.app import main
from feedrank.datasets import simulate_demo
from tests.browser import SHOW_TEXT, Shown, as_shown, chromium, headless


@pytest.fixture(scope="module")
def card() -> object:
    net = simulate_demo()
    batch = net.batch()
    old = fr.preset("balanced")
    data = old.to_spec()
    data["version"] = "2"
    data["scorer"]["terms"][0]["weight"] = 1.5
    data["controls"][2]["default"] = 1.5  # the popularity control sets this weight
    new = fr.load_spec(data)
    sample = [new.rank(batch, net.context(v.id, batch)) for v in net.viewers[:6]]
    return build_card(new, sample, previous=old)


def test_markdown_states_every_parameter_its_reason_and_measured_share(card) -> None:  # type: ignore[no-untyped-def]
    md = card_markdown(card)
    pipe = card.pipeline
    assert pipe.fingerprint in md
    for term in pipe.scorer.terms:
        assert term.why in md
        assert term.signal.describe() in md
    for filt in pipe.filters:
        assert filt.describe() in md
    shares = {i.term: i.share for i in card.influence}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert f"{shares['engagement']:.1%}" in md
    assert fr.preset("chronological").fingerprint in md  # the non-profiling option
    assert "`~ scorer.terms[engagement].weight: 1.0 -> 1.5`" in md
    assert '`~ version: "1" -> "2"`' in md


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.external.append(value)


def test_html_is_self_contained_with_charts(card) -> None:  # type: ignore[no-untyped-def]
    page = card_html(card)
    parser = _Collector()
    parser.feed(page)
    assert parser.external == []  # nothing to fetch
    assert parser.tags.count("svg") == 2
    assert "table" in parser.tags
    assert card.pipeline.fingerprint in page


def test_card_and_diff_commands(tmp_path: Path) -> None:
    net = simulate_demo()
    posts = tmp_path / "sample.jsonl"
    fio.write_jsonl(net.posts, posts)
    out_file = tmp_path / "card.html"
    code = main(
        [
            "card",
            "--spec",
            "balanced",
            "--sample",
            str(posts),
            "--format",
            "html",
            "--output",
            str(out_file),
        ],
        out=io.StringIO(),
    )
    assert code == 0
    assert "<svg" in out_file.read_text()
    buf = io.StringIO()
    assert main(["card", "--spec", "chronological"], out=buf) == 0
    assert "Newest posts first" in buf.getvalue()
    buf = io.StringIO()
    assert main(["diff", "chronological", "balanced", "--exit-code"], out=buf) == 1
    assert "scorer.terms[recency]" in buf.getvalue()
    assert main(["diff", "balanced", "balanced"], out=io.StringIO()) == 0


@pytest.mark.skipif(chromium() is None, reason="headless Chromium is not installed")
def test_card_shows_its_content_in_headless_chromium(card, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What the browser shows (the body's rendered text, innerText) holds every
    parameter, its reason and measured share, the fingerprints and the changes."""
    html = card_html(card)
    page = tmp_path / "card.html"
    page.write_text(html.replace("</body>", SHOW_TEXT + "</body>", 1), encoding="utf-8")
    proc = headless(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    parser = Shown()
    parser.feed(proc.stdout)
    shown = " ".join(parser.text.split())
    pipe = card.pipeline
    assert pipe.fingerprint in shown
    assert fr.preset("chronological").fingerprint in shown
    for term in pipe.scorer.terms:
        assert as_shown(term.why) in shown, term.name
        assert as_shown(term.signal.describe()) in shown, term.name
    for stage in (*pipe.filters, *pipe.rerankers):
        assert as_shown(stage.describe()) in shown
    for influence in card.influence:
        assert f"{influence.share:.1%}" in shown, influence.term
    assert "scorer.terms[engagement].weight" in shown
    # The picture is drawn: a screenshot of the same page is not blank.
    shot = tmp_path / "card.png"
    plain = tmp_path / "plain.html"
    plain.write_text(html, encoding="utf-8")
    proc = headless(tmp_path, f"--screenshot={shot}", plain.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank page compresses to far less
