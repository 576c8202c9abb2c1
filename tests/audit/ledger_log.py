"""A decision log of the simulated demo network with planted restriction policies.

Every viewer's feed is ranked by ``balanced`` plus a demotion of posts labelled
``borderline`` (policy ``borderline``, on the ground of a law); the spam filter of
``balanced`` removes posts labelled ``spam`` (policy ``spam``). Planted labels:
``borderline`` on every other post of the most active author, ``spam`` on one of
that author's posts, and ``flagged`` on every post of the authors of one group
(a biased classifier, for the release gate).

Import as ``from tests.audit.ledger_log import ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import feedrank as fr
from feedrank.audit import DecisionLog
from feedrank.datasets import SimulatedNetwork, simulate_demo
from feedrank.stages.policy import Policy
from tests.audit.keys import DATA_KEY, KEY

BORDERLINE = Policy(
    name="borderline",
    kind="visibility_restriction",
    ground="law",
    reference="Example Act on online content, section 3 (borderline content)",
    url="https://example.org/act#s3",
    explanation="A reviewer labelled the post borderline; borderline posts rank lower.",
    category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    automated_detection=False,
    automated_decision="not_automated",
)
FLAGGED = Policy(
    name="flagged",
    kind="visibility_restriction",
    ground="terms",
    reference="Terms, section 9: posts the classifier flags rank lower",
    url="https://example.org/terms#9",
    explanation="The post was flagged by the quality classifier.",
    category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
)
LIMIT = 10


@dataclass(frozen=True)
class Planted:
    """The planted network: its posts with labels, the spec, the author studied."""

    net: SimulatedNetwork
    batch: fr.PostBatch
    pipeline: fr.Pipeline
    author: str
    flagged_group: str
    groups: dict[str, str]


def with_factor(
    base: fr.Pipeline, name: str, labels: list[str], value: float, policy: Policy
) -> fr.Pipeline:
    """``base`` with one more scorer factor: ``has_label`` on ``labels`` under ``policy``."""
    data = base.to_spec()
    data["scorer"]["factors"].append(
        {
            "name": name,
            "signal": {"type": "has_label", "labels": labels, "true_value": value},
            "policy": policy.model_dump(mode="json"),
        }
    )
    return fr.load_spec(data)


@cache
def planted() -> Planted:
    net = simulate_demo()
    counts: dict[str, int] = {}
    for post in net.posts:
        counts[post.author_id] = counts.get(post.author_id, 0) + 1
    author = max(sorted(counts), key=lambda a: counts[a])
    groups = {a.id: str(a.attributes["group"]) for a in net.authors}
    flagged_group = sorted(set(groups.values()))[0]
    posts = []
    seen = 0
    for post in net.posts:
        labels = list(post.labels)
        if post.author_id == author:
            if seen % 2 == 0:
                labels.append("borderline")
            if seen == 1:
                labels.append("spam")
            seen += 1
        if groups.get(post.author_id) == flagged_group:
            labels.append("flagged")
        posts.append(post.model_copy(update={"labels": tuple(dict.fromkeys(labels))}))
    batch = fr.PostBatch.from_posts(posts, net.authors)
    pipeline = with_factor(fr.preset("balanced"), "borderline", ["borderline"], 0.3, BORDERLINE)
    return Planted(net, batch, pipeline, author, flagged_group, groups)


def write_planted_log(path: Path, pipeline: fr.Pipeline | None = None) -> Planted:
    """Log every viewer's first page (``LIMIT`` posts) at ``path``."""
    p = planted()
    pipe = pipeline or p.pipeline
    with DecisionLog(path, key=KEY, data_key=DATA_KEY) as log:
        for viewer in p.net.viewers:
            ctx = p.net.context(viewer.id, p.batch)
            pipe.rank(p.batch, ctx, limit=LIMIT, audit=log)
    return p
