"""Add your own signal type and use it in a spec like a built-in one.

python examples/custom_signal.py
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

import feedrank as fr


@fr.register_signal
class LinkPost(fr.Signal):
    """Whether the post carries a link (1.0) or not (0.0)."""

    type: Literal["link_post"] = "link_post"
    reads: ClassVar[tuple[str, ...]] = ("url",)

    def compute(self, batch: fr.PostBatch, ctx: fr.Context) -> NDArray[np.float64]:
        return (np.strings.str_len(batch.url) > 0).astype(np.float64)


SPEC = """
name = "links-first"
[[scorer.terms]]
name = "has_link"
signal = { type = "link_post" }
weight = 1.0
why = "This community prefers posts that cite a source."
[[scorer.terms]]
name = "likes"
signal = { type = "interactions", transform = "log1p" }
weight = 0.1
"""


def main() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    pipeline = fr.load_spec(SPEC, format="toml")
    posts = [
        fr.Post(id="opinion", author_id="a", created_at=now, counts={"like": 50}),
        fr.Post(
            id="sourced",
            author_id="b",
            created_at=now,
            counts={"like": 5},
            url="https://example.org/study",
        ),
    ]
    batch = fr.PostBatch.from_posts(posts)
    ranking = pipeline.rank(batch, fr.Context.build(batch, now=now))
    print(ranking.post_ids)
    print(ranking.explain("sourced").to_text())


if __name__ == "__main__":
    main()
