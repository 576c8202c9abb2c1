"""Filters: which posts are removed and the machine-readable reason for each."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feedrank as fr
from feedrank.errors import SpecError
from feedrank.stages.filters import (
    FILTERS,
    BlockedAuthors,
    Labels,
    Language,
    MaxAge,
    MutedAuthors,
    MutedWords,
    Seen,
)
from feedrank.testing import SampleData, check_component
from feedrank.testing.examples import FILTER_EXAMPLES
from tests.strategies import ADULT_POLICY, NOW, WORDS, Feed, feeds, texts

HOUR = timedelta(hours=1)


def posts_by(authors: list[str]) -> fr.PostBatch:
    return fr.PostBatch.from_posts(
        [fr.Post(id=f"p{i}", author_id=a, created_at=NOW) for i, a in enumerate(authors)]
    )


def reasons(filt: fr.Filter, batch: fr.PostBatch, viewer: fr.Viewer | None) -> list[str]:
    out = filt.reasons(batch, fr.Context.build(batch, now=NOW, viewer=viewer))
    assert out.shape == (len(batch),)
    return [str(x) for x in out]


def test_an_unknown_filter_type_lists_the_known_ones() -> None:
    with pytest.raises(fr.RegistryError, match="blocked_authors"):
        FILTERS["nope"]


def test_blocked_and_muted_authors() -> None:
    batch = posts_by(["ann", "bob", "cy", "ann"])
    viewer = fr.Viewer(id="v", blocked={"ann"}, muted={"cy", "zed"})
    assert reasons(BlockedAuthors(), batch, viewer) == ["blocked_author", "", "", "blocked_author"]
    assert reasons(MutedAuthors(), batch, viewer) == ["", "", "muted_author", ""]
    assert reasons(BlockedAuthors(), batch, None) == [""] * 4
    assert reasons(MutedAuthors(), batch, fr.Viewer(id="v")) == [""] * 4


def test_seen() -> None:
    batch = posts_by(["ann", "bob", "cy"])
    viewer = fr.Viewer(id="v", seen={"p0", "p2", "elsewhere"})
    assert reasons(Seen(), batch, viewer) == ["seen", "", "seen"]
    assert reasons(Seen(), batch, None) == ["", "", ""]


def test_keep_is_the_posts_without_a_reason() -> None:
    batch = posts_by(["ann", "bob", "cy"])
    ctx = fr.Context.build(batch, now=NOW, viewer=fr.Viewer(id="v", seen={"p1"}))
    keep = Seen().keep(batch, ctx)
    assert keep.dtype == np.bool_
    assert keep.tolist() == [True, False, True]


def aged(hours: list[float]) -> fr.PostBatch:
    return fr.PostBatch.from_posts(
        [fr.Post(id=f"p{i}", author_id="a", created_at=NOW - h * HOUR) for i, h in enumerate(hours)]
    )


def test_max_age_removes_older_posts_and_posts_after_now() -> None:
    batch = aged([0, 47.5, 48, 48.01, 100, -0.001, -5])
    assert reasons(MaxAge(hours=48), batch, None) == [
        "",
        "",
        "",  # exactly 48 h old is not older than 48 h
        "older_than:48h",
        "older_than:48h",
        "created_after_now",
        "created_after_now",
    ]
    assert reasons(MaxAge(hours=48, allow_future=True), batch, None)[5:] == ["", ""]
    assert reasons(MaxAge(hours=1.5), aged([2.0]), None) == ["older_than:1.5h"]
    assert reasons(MaxAge(hours=168), aged([200.0]), None) == ["older_than:168h"]


def test_max_age_needs_positive_hours() -> None:
    for hours in (0, -1, float("nan")):
        with pytest.raises(SpecError):
            MaxAge(hours=hours)
    with pytest.raises(SpecError):
        MaxAge()  # type: ignore[call-arg]


def lang_batch(langs: list[str | None]) -> fr.PostBatch:
    return fr.PostBatch.from_posts(
        [fr.Post(id=f"p{i}", author_id="a", created_at=NOW, lang=x) for i, x in enumerate(langs)]
    )


def test_language_keeps_listed_languages_and_unknown_by_default() -> None:
    batch = lang_batch(["en", "de", None, "fr", "en"])
    assert reasons(Language(languages=("en", "fr")), batch, None) == ["", "language", "", "", ""]
    assert reasons(Language(languages=("en",), keep_unknown=False), batch, None) == [
        "",
        "language",
        "language",
        "language",
        "",
    ]


def test_language_falls_back_to_the_viewers_languages() -> None:
    batch = lang_batch(["en", "de", None])
    viewer = fr.Viewer(id="v", languages=("de",))
    assert reasons(Language(), batch, viewer) == ["language", "", ""]
    # the filter's own list wins over the viewer's
    assert reasons(Language(languages=("en",)), batch, viewer) == ["", "language", ""]
    # no list anywhere keeps everything
    assert reasons(Language(), batch, fr.Viewer(id="v")) == ["", "", ""]
    assert reasons(Language(keep_unknown=False), batch, None) == ["", "", ""]


def labelled(rows: list[tuple[str, ...]]) -> fr.PostBatch:
    return fr.PostBatch.from_posts(
        [fr.Post(id=f"p{i}", author_id="a", created_at=NOW, labels=r) for i, r in enumerate(rows)]
    )


def test_labels_reason_names_the_first_label_in_exclude_order() -> None:
    batch = labelled([("nsfw",), ("spam", "nsfw"), (), ("satire",), ("gore", "spam"), ("spam",)])
    assert reasons(Labels(exclude=("spam", "nsfw")), batch, None) == [
        "label:nsfw",
        "label:spam",
        "",
        "",
        "label:spam",
        "label:spam",
    ]
    assert reasons(Labels(exclude=("nsfw", "gore", "spam")), batch, None) == [
        "label:nsfw",
        "label:nsfw",
        "",
        "",
        "label:gore",
        "label:spam",
    ]


def test_labels_reason_with_a_label_listed_twice_is_still_the_first_in_order() -> None:
    # "spam" comes first in exclude; listing it again later must not change that.
    batch = labelled([("nsfw", "spam"), ("nsfw",), ("spam",)])
    assert reasons(Labels(exclude=("spam", "nsfw", "spam")), batch, None) == [
        "label:spam",
        "label:nsfw",
        "label:spam",
    ]


def test_labels_needs_non_blank_labels() -> None:
    with pytest.raises(SpecError):
        Labels(exclude=())
    with pytest.raises(SpecError):
        Labels(exclude=("nsfw", ""))


def texted(textsin: list[str | None]) -> fr.PostBatch:
    return fr.PostBatch.from_posts(
        [fr.Post(id=f"p{i}", author_id="a", created_at=NOW, text=t) for i, t in enumerate(textsin)]
    )


@pytest.mark.parametrize(
    ("word", "text", "removed"),
    [
        ("cat", "I love CATS", False),  # "cats" is another word
        ("cat", "Cat!", True),
        ("cat", "my cat.", True),
        ("cat", "category theory", False),
        ("cat", "bobcat", False),
        ("cat", "(cat)", True),
        ("CAT", "a cat here", True),
        ("cat", "snake_cat", False),  # "_" is a word character
        ("new york", "New-York", True),
        ("new york", "new   york", True),
        ("new york", "I ♥ NEW YORK!", True),
        ("new york", "newyork", False),
        ("new york", "new yorker", False),
        ("new york", "renew york", False),
        ("new york", "york new", False),
        ("new-york", "new york", True),
        ("dog!", "hot dog", True),
        ("ΟΔΟΣ", "η οδος", True),
        ("ΟΔΟΣ", "ΟΔΟΣ", True),
        ("café", "CAFÉ time", True),
        ("cat", "", False),
        ("cat", None, False),
    ],
)
def test_muted_words_are_whole_words_case_insensitive(
    word: str, text: str | None, removed: bool
) -> None:
    batch = texted([text])
    expected = ["muted_word"] if removed else [""]
    assert reasons(MutedWords(), batch, fr.Viewer(id="v", muted_words=(word,))) == expected


def test_muted_words_any_of_several() -> None:
    batch = texted(["hello world", "a cat", "nothing", "HELLO", "dog"])
    viewer = fr.Viewer(id="v", muted_words=("cat", "hello"))
    assert reasons(MutedWords(), batch, viewer) == [
        "muted_word",
        "muted_word",
        "",
        "muted_word",
        "",
    ]
    assert reasons(MutedWords(), batch, None) == [""] * 5
    assert reasons(MutedWords(), batch, fr.Viewer(id="v")) == [""] * 5


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def mentions(text: str, phrase: str) -> bool:
    """Independent reference: the phrase's words appear consecutively among the text's words."""
    words, want = tokens(text), tokens(phrase)
    return bool(want) and any(
        words[i : i + len(want)] == want for i in range(len(words) - len(want) + 1)
    )


@settings(max_examples=80, deadline=None)
@given(
    textsin=st.lists(texts(), min_size=1, max_size=15),
    muted=st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(" ".join),
        min_size=1,
        max_size=3,
    ),
)
def test_muted_words_match_a_word_sequence_reference(textsin: list[str], muted: list[str]) -> None:
    batch = texted([t or None for t in textsin])
    got = reasons(MutedWords(), batch, fr.Viewer(id="v", muted_words=tuple(muted)))
    expected = ["muted_word" if any(mentions(t, m) for m in muted) else "" for t in textsin]
    assert got == expected


def test_muted_phrases_never_span_two_posts_and_odd_text_is_searched_exactly() -> None:
    """Posts are searched as one joined string: a phrase split across two posts
    does not match, a NUL inside a text or a character whose lower case is
    longer (İ) changes nothing."""
    batch = texted(["we love new", "york pizza", "İİ new york", "a\x00cat", "nothing"])
    viewer = fr.Viewer(id="v", muted_words=("new york", "cat"))
    assert reasons(MutedWords(), batch, viewer) == ["", "", "muted_word", "muted_word", ""]
    plain = texted(["we love new", "york pizza", "İİ new york"])
    viewer = fr.Viewer(id="v", muted_words=("new york",))
    assert reasons(MutedWords(), plain, viewer) == ["", "", "muted_word"]


def test_filters_handle_an_empty_batch() -> None:
    batch = fr.PostBatch.empty()
    viewer = fr.Viewer(id="v", blocked={"a"}, muted_words=("cat",), languages=("en",))
    for filt in (
        BlockedAuthors(),
        MutedAuthors(),
        MutedWords(),
        Seen(),
        MaxAge(hours=1),
        Language(),
        Labels(exclude=("nsfw",)),
    ):
        assert reasons(filt, batch, viewer) == []


def test_filters_round_trip_through_a_spec() -> None:
    data = {
        "name": "filtered",
        "filters": [
            {"type": "max_age", "hours": 48},
            {"type": "labels", "exclude": ["nsfw", "spam"], "policy": ADULT_POLICY.model_dump()},
            {"type": "language", "languages": ["en"], "keep_unknown": False},
        ],
        "scorer": {"terms": [{"name": "t", "weight": 1.0, "signal": {"type": "timestamp"}}]},
    }
    pipe = fr.load_spec(data)
    assert pipe.filters == (
        MaxAge(hours=48),
        Labels(exclude=("nsfw", "spam"), policy=ADULT_POLICY),
        Language(languages=("en",), keep_unknown=False),
    )
    with pytest.raises(fr.SpecError, match="known types"):
        fr.load_spec({**data, "filters": [{"type": "nope"}]})


@pytest.mark.parametrize(
    "filt", [f for items in FILTER_EXAMPLES.values() for f in items], ids=lambda f: f.type
)
@settings(max_examples=25, deadline=None)
@given(feed=feeds(anonymous=False))
def test_every_filter_is_idempotent_and_its_reasons_match_its_codes_on_random_feeds(
    filt: fr.Filter, feed: Feed
) -> None:
    data = SampleData(((feed.batch, feed.ctx),))
    check_component(filt, data=data, checks=["codes_reasons", "filter_idempotence"])


def test_muted_words_are_found_across_blocks_of_joined_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Text is searched in blocks of joined rows; block edges change nothing."""
    import feedrank.batch.text

    monkeypatch.setattr(feedrank.batch.text, "_BLOCK_ROWS", 2)
    rows = ["new", "york city", "a cat", "new york", "cats", "x", "CAT"]
    batch = texted(rows)
    viewer = fr.Viewer(id="v", muted_words=("new york", "cat"))
    got = reasons(MutedWords(), batch, viewer)
    assert got == ["", "", "muted_word", "muted_word", "", "", "muted_word"]
    with_nul = texted([*rows, "a\x00cat"])
    got = reasons(MutedWords(), with_nul, viewer)
    assert got == ["", "", "muted_word", "muted_word", "", "", "muted_word", "muted_word"]
