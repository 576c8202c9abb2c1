"""Rank a saved Mastodon home timeline with a preset and print why each post is where it is.

python examples/mastodon_home.py                       # the "balanced" preset
python examples/mastodon_home.py --preset mastodon-trends
python examples/mastodon_home.py --boosts boost        # rank timeline entries, boosts included

``mastodon_timeline.json`` is a home timeline as ``GET /api/v1/timelines/home``
returns it (a JSON array of Status entities, boosts and replies included). To
rank your own, save that response and pass it with ``--timeline``; ``--viewer``
is your account id (your own posts then count as yours), ``--now`` the moment
to rank at (default: just after the newest status, so the output stays the same).
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

import feedrank as fr
from feedrank.adapters.mastodon import load_timeline
from feedrank.presets import spec_or_preset

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeline", type=Path, default=HERE / "mastodon_timeline.json")
    parser.add_argument("--preset", default="balanced", help="preset name or spec file")
    # "original": each status once, boosts count as social proof (see the adapter's docs)
    parser.add_argument("--boosts", choices=("boost", "original"), default="original")
    parser.add_argument("--viewer", default="1000", help="the viewer's account id")
    parser.add_argument("--now", type=datetime.fromisoformat, default=None)
    args = parser.parse_args(argv)

    timeline = load_timeline(args.timeline, boosts=args.boosts)
    batch = timeline.batch()
    now = args.now or max(p.created_at for p in timeline.posts) + timedelta(minutes=12)
    # A home timeline shows the accounts the viewer follows (and the viewer).
    viewer = fr.Viewer(
        id=args.viewer,
        follows=timeline.timeline_accounts - {args.viewer},
        interests={"music": 1.0, "openscience": 0.5},
    )
    ctx = fr.Context.build(batch, now=now, viewer=viewer, network=timeline.network)
    pipeline = spec_or_preset(args.preset)
    ranking = pipeline.rank(batch, ctx, limit=10)

    print(f"{pipeline.name} {pipeline.version} — fingerprint {pipeline.fingerprint[:16]}")
    print(
        f"{len(timeline.posts)} candidates from {args.timeline.name}, ranked at {now:%F %H:%M} UTC"
    )
    by_id = {p.id: p for p in timeline.posts}
    for post_id in ranking.post_ids:
        post = by_id[post_id]
        boosted = f"  (boost of {post.repost_of})" if post.repost_of else ""
        text = " / ".join(line for line in (post.text or "").splitlines() if line)
        print()
        print(ranking.explain(post_id).to_text())
        print(f"    “{text[:72]}”{boosted}")
    print()
    print("removed:", ranking.removed())


if __name__ == "__main__":
    main()
