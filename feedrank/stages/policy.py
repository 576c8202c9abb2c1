"""Policies: the published rule behind a filter, a factor or a re-ranker.

Every component that can lower a post's reach says what kind of effect it has
(:data:`Effect`, a class attribute ``effect``):

- ``viewer_choice``: it applies the viewer's own choices (blocks, mutes, muted
  words, posts already seen, "see fewer"). Nothing is decided about the post
  or its author; it is not a restriction of the author's visibility.
- ``ranking_preference``: a general rule of the ranking that applies to every
  post alike (age decay, replies lower, at most N posts per author, ...).
- ``visibility_restriction``: a decision about *this* post on the ground that
  it is illegal or incompatible with the platform's terms (removal of posts
  labelled spam, demotion of posts labelled borderline, ...): what the EU
  Digital Services Act calls a restriction of visibility (Recital 55), which
  needs a statement of reasons (Art. 17).

A component may declare the :class:`Policy` behind it (``policy = {...}`` in
its spec table); a declared policy's ``kind`` is the component's effect. A
component whose class restricts visibility (a ``labels`` filter, a
``has_label`` factor) must declare a policy: :class:`~feedrank.Pipeline`
refuses it otherwise, naming the component's path. Its policy says whether
this use is a moderation decision (``visibility_restriction``) or not (a
``ranking_preference``: Mastodon's trends leave out the posts whose *authors*
marked them sensitive, which decides nothing about them), in public, on the
card.

>>> p = Policy(name="spam", kind="visibility_restriction", ground="terms",
...            reference="Community guidelines, section 4 (spam)",
...            url="https://example.org/terms#spam",
...            explanation="The post was labelled spam by the spam classifier.",
...            category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
>>> p.decision_ground, p.automated_decision_value
('DECISION_GROUND_INCOMPATIBLE_CONTENT', 'AUTOMATED_DECISION_FULLY')
>>> Policy(name="x", kind="visibility_restriction", ground="terms", reference="r")
Traceback (most recent call last):
feedrank.errors.SpecError: a visibility restriction needs 'category' (a DSA statement category \
such as STATEMENT_CATEGORY_OTHER_VIOLATION_TC) and 'explanation' (why a post it acts on falls \
under it)
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field, StringConstraints, model_serializer, model_validator

from feedrank.models import SpecModel

__all__ = [
    "EEA_COUNTRIES",
    "STATEMENT_CATEGORIES",
    "Declares",
    "Effect",
    "Policy",
]

Effect = Literal["viewer_choice", "ranking_preference", "visibility_restriction"]
"""What a component does to a post's reach (see the module docstring)."""

Category = Literal[
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
]

STATEMENT_CATEGORIES: tuple[Category, ...] = get_args(Category)
"""The ``category`` values of the DSA Transparency Database API (version 2 of its
schema, in force since 1 July 2025)."""

Country = Literal[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
]  # fmt: skip

EEA_COUNTRIES: tuple[Country, ...] = get_args(Country)
"""The countries of the European Economic Area, ISO 3166-1 alpha-2 (the default
``territorial_scope``)."""

_SOURCES = {
    "voluntary": "SOURCE_VOLUNTARY",
    "article_16": "SOURCE_ARTICLE_16",
    "trusted_flagger": "SOURCE_TRUSTED_FLAGGER",
    "other_notification": "SOURCE_TYPE_OTHER_NOTIFICATION",
}
_DECISIONS = {
    "fully": "AUTOMATED_DECISION_FULLY",
    "partially": "AUTOMATED_DECISION_PARTIALLY",
    "not_automated": "AUTOMATED_DECISION_NOT_AUTOMATED",
}


class Policy(SpecModel):
    """The published rule behind a component.

    ``name``: how the platform calls the policy (unique per spec for a
    restriction); ``kind``: ``visibility_restriction`` (moderation) or
    ``ranking_preference``; ``ground``: ``terms`` (the platform's terms and
    conditions: ``reference`` names the clause) or ``law`` (``reference`` names
    the legal provision); ``url``: where the terms or the law can be read (the
    statement's ``decision_ground_reference_url``; give it whenever there is one);
    ``explanation``: why a post the component acts on falls under the policy;
    ``category``: the DSA Transparency Database statement category;
    ``automated_detection``: whether the posts are found by automated means;
    ``automated_decision``: ``fully``, ``partially`` or ``not_automated``;
    ``source``: what started the decision (``voluntary``: the platform's own
    initiative; ``article_16``, ``trusted_flagger``, ``other_notification``: a
    notice); ``illegal``: on the ground of the terms, whether the content is
    also considered illegal; ``territorial_scope``: the countries where the
    restriction applies (default: the EEA). The statement fields the export
    writes follow from these (:mod:`feedrank.audit.statements`).
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$")]
    kind: Literal["visibility_restriction", "ranking_preference"]
    ground: Literal["terms", "law"]
    reference: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)] | None = None
    explanation: Annotated[str, StringConstraints(max_length=2000)] = ""
    category: Category | None = None
    automated_detection: bool = True
    automated_decision: Literal["fully", "partially", "not_automated"] = "fully"
    source: Literal["voluntary", "article_16", "trusted_flagger", "other_notification"] = (
        "voluntary"
    )
    illegal: bool = False
    territorial_scope: Annotated[tuple[Country, ...], Field(min_length=1)] = EEA_COUNTRIES

    @model_validator(mode="after")
    def _restriction_is_complete(self) -> Policy:
        if self.kind != "visibility_restriction":
            return self
        if self.category is None or not self.explanation:
            raise ValueError(
                "a visibility restriction needs 'category' (a DSA statement category such as "
                "STATEMENT_CATEGORY_OTHER_VIOLATION_TC) and 'explanation' (why a post it acts "
                "on falls under it)"
            )
        return self

    @property
    def decision_ground(self) -> str:
        """``DECISION_GROUND_INCOMPATIBLE_CONTENT`` (terms), ``DECISION_GROUND_ILLEGAL_CONTENT``
        (law)."""
        if self.ground == "law":
            return "DECISION_GROUND_ILLEGAL_CONTENT"
        return "DECISION_GROUND_INCOMPATIBLE_CONTENT"

    @property
    def automated_decision_value(self) -> str:
        """The DSA value of ``automated_decision`` (``AUTOMATED_DECISION_FULLY``, ...)."""
        return _DECISIONS[self.automated_decision]

    @property
    def source_type(self) -> str:
        """The DSA value of ``source`` (``SOURCE_VOLUNTARY``, ...)."""
        return _SOURCES[self.source]

    def describe(self) -> str:
        """One line for the algorithm card."""
        kind = (
            "visibility restriction"
            if self.kind == "visibility_restriction"
            else "ranking preference"
        )
        ground = "the platform's terms" if self.ground == "terms" else "the law"
        where = f"{self.reference}" + (f" ({self.url})" if self.url else "")
        found = "found by automated means" if self.automated_detection else "found by people"
        decided = {
            "fully": "decided by automated means",
            "partially": "decided partly by automated means",
            "not_automated": "decided by people",
        }[self.automated_decision]
        text = f"{self.name}: {kind} on the ground of {ground}, {where}"
        if self.category is not None:
            text += f"; category {self.category}"
        text += f"; posts {found}, {decided}"
        return text + (f". {self.explanation}" if self.explanation else "")


class Declares(SpecModel):
    """Mixin of the components that may declare a :class:`Policy` (filters,
    re-rankers, scorer factors). ``policy`` is written to the spec only when
    declared, so specs without policies keep their fingerprints."""

    effect: ClassVar[Effect] = "ranking_preference"
    """What the component does to a post's reach when no policy says otherwise."""

    policy: Policy | None = None

    @model_serializer(mode="wrap")
    def _omit_undeclared_policy(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("policy", 0) is None:
            del data["policy"]
        return data

    @property
    def intrinsic_effect(self) -> Effect:
        """What the component does without a policy: the class's :attr:`effect`."""
        return self.effect

    @property
    def declared_effect(self) -> Effect:
        """The declared policy's kind, else :attr:`intrinsic_effect`."""
        return self.policy.kind if self.policy is not None else self.intrinsic_effect
