"""Rank a handful of posts with a spec file and print why each post is where it is.

python examples/rank_from_python.py
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedrank as fr

NOW = datetime(2026, 1, 2, 12, tzinfo=timezone.utc)


def main() -> None:
    pipeline = fr.load_spec(Path(__file__).with_name("my_feed.toml"))
    posts = [
        fr.Post(
            id="jazz-review",
            author_id="ann",
            created_at=NOW - timedelta(hours=2),
            counts={"like": 40, "reply": 3},
        ),
        fr.Post(
            id="ann-again",
            author_id="ann",
            created_at=NOW - timedelta(hours=1),
            counts={"like": 35, "reply": 2},
        ),
        fr.Post(
            id="match-report",
            author_id="bob",
            created_at=NOW - timedelta(hours=6),
            counts={"like": 120, "repost": 10, "reply": 25},
        ),
        fr.Post(
            id="old-news",
            author_id="cat",
            created_at=NOW - timedelta(hours=60),
            counts={"like": 900},
        ),
        fr.Post(
            id="quiet-gem",
            author_id="dan",
            created_at=NOW - timedelta(minutes=20),
            counts={"like": 4, "reply": 6},
        ),
    ]
    viewer = fr.Viewer(id="viewer-1", follows={"dan"})
    batch = fr.PostBatch.from_posts(posts)
    ranking = pipeline.rank(batch, fr.Context.build(batch, now=NOW, viewer=viewer))

    print(f"{pipeline.name} {pipeline.version} — fingerprint {pipeline.fingerprint[:16]}")
    for post_id in ranking.post_ids:
        print(ranking.explain(post_id).to_text())
    print("removed:", ranking.removed())
    top, second = ranking.post_ids[:2]
    print(ranking.compare(top, second).to_text())


if __name__ == "__main__":
    main()
