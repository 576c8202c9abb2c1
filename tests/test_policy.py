"""Policies in the spec: declared on filters, factors and re-rankers, required for
a visibility restriction, listed on the card, absent from specs that declare none."""

from __future__ import annotations

import pytest

import feedrank as fr
from feedrank.audit.card import build_card, card_markdown
from feedrank.stages.filters import BlockedAuthors, Labels, Language, MaxAge, MutedWords, Seen
from feedrank.stages.policy import Policy
from feedrank.stages.rerank import AuthorDiversity
from feedrank.stages.scoring import Factor, Scorer, Term
from feedrank.stages.signals import HasLabel, Timestamp
from tests.strategies import ADULT_POLICY

SCORER = Scorer(terms=[Term(name="recency", signal=Timestamp(scale=3600.0), weight=1.0)])
BORDERLINE = Policy(
    name="borderline",
    kind="visibility_restriction",
    ground="law",
    reference="Example Act, section 3",
    explanation="The post was labelled borderline by a reviewer.",
    category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    automated_detection=False,
    automated_decision="not_automated",
)


def test_a_restriction_without_a_policy_is_a_spec_error_naming_its_path() -> None:
    with pytest.raises(fr.SpecError, match=r"filters\[1\] \(labels\) restricts the visibility"):
        fr.Pipeline(name="p", filters=[Seen(), Labels(exclude=("nsfw",))], scorer=SCORER)
    factor = Factor(name="borderline", signal=HasLabel(labels=("borderline",)))
    scorer = Scorer(terms=SCORER.terms, factors=[factor])
    with pytest.raises(fr.SpecError, match=r"scorer\.factors\[borderline\] \(has_label\)"):
        fr.Pipeline(name="p", scorer=scorer)
    spec = {
        "name": "p",
        "filters": [{"type": "labels", "exclude": ["spam"]}],
        "scorer": {"terms": [{"name": "t", "weight": 1.0, "signal": {"type": "timestamp"}}]},
    }
    with pytest.raises(fr.SpecError, match=r"filters\[0\]"):
        fr.load_spec(spec)


def test_a_declared_policy_round_trips_and_sets_the_effect() -> None:
    pipe = fr.Pipeline(
        name="p",
        filters=[BlockedAuthors(), Labels(exclude=("nsfw",), policy=ADULT_POLICY)],
        scorer=Scorer(
            terms=SCORER.terms,
            factors=[Factor(name="borderline", signal=HasLabel(labels=("b",)), policy=BORDERLINE)],
        ),
        rerankers=[AuthorDiversity()],
    )
    again = fr.load_spec(fr.dump_spec(pipe, "toml"), format="toml")
    assert again == pipe
    assert again.fingerprint == pipe.fingerprint
    effects = {use.path: (use.effect, use.restricts) for use in pipe.policies}
    assert effects == {
        "filters[0]": ("viewer_choice", False),
        "filters[1]": ("visibility_restriction", True),
        "scorer.factors[borderline]": ("visibility_restriction", True),
        "rerankers[0]": ("ranking_preference", False),
    }
    assert pipe.to_spec()["filters"][1]["policy"]["name"] == "adult-content"


def test_specs_without_policies_do_not_write_the_field() -> None:
    pipe = fr.Pipeline(name="p", filters=[MaxAge(hours=2), MutedWords()], scorer=SCORER)
    assert all("policy" not in f for f in pipe.to_spec()["filters"])
    assert "policy" not in fr.preset("balanced").to_spec()["rerankers"][0]


def test_one_name_stands_for_one_policy() -> None:
    other = ADULT_POLICY.model_copy(update={"reference": "another clause"})
    with pytest.raises(fr.SpecError, match="different policies named 'adult-content'"):
        fr.Pipeline(
            name="p",
            filters=[
                Labels(exclude=("nsfw",), policy=ADULT_POLICY),
                Labels(exclude=("gore",), policy=other),
            ],
            scorer=SCORER,
        )


def test_a_restriction_policy_needs_its_category_and_explanation() -> None:
    with pytest.raises(fr.SpecError, match="needs 'category'"):
        Policy(name="x", kind="visibility_restriction", ground="terms", reference="r")
    with pytest.raises(fr.SpecError, match="field 'category'"):
        BORDERLINE.model_validate({**BORDERLINE.model_dump(), "category": "STATEMENT_CATEGORY_X"})
    loose = Policy(name="x", kind="ranking_preference", ground="terms", reference="r")
    assert loose.category is None


def test_the_card_lists_every_policy_and_the_viewers_own_choices() -> None:
    md = card_markdown(build_card(fr.preset("balanced")))
    spam = fr.preset("balanced").filters[6].policy
    assert spam is not None
    assert spam.describe() in md
    assert "| `filters[0]` |" in md
    assert "the viewer's own choice" in md
    assert "visibility restriction (moderation)" in md
    mastodon = card_markdown(build_card(fr.preset("mastodon-trends")))
    assert "trends-eligibility: ranking preference" in mastodon


def test_the_readme_policy_example_loads() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### For platforms", 1)[1].split("\n## ", 1)[0]
    (toml,) = re.findall(r"```toml\n(.+?)\n```", section, flags=re.S)
    spec = (
        'name = "readme"\n' + toml + '\n\n[[scorer.terms]]\nname = "t"\nweight = 1.0\n'
        '[scorer.terms.signal]\ntype = "timestamp"\n'
    )
    pipe = fr.load_spec(spec, format="toml")
    (use,) = [u for u in pipe.policies if u.restricts]
    assert use.policy is not None
    assert use.policy.name == "spam"
    assert use.policy.url == "https://example.org/terms#spam"


def test_a_language_filter_is_the_viewers_choice_unless_the_spec_names_languages() -> None:
    pipe = fr.Pipeline(name="p", filters=[Language(), Language(languages=("en",))], scorer=SCORER)
    assert [u.effect for u in pipe.policies] == ["viewer_choice", "ranking_preference"]
