"""The one request builder of the command line: spec, posts, viewer and context.

``feedrank rank`` and ``feedrank explain`` read the same options
(:func:`add_request_options`) and build their request with :func:`build_request`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from feedrank.errors import InputError
from feedrank.io.decoding import decode_json, read_text
from feedrank.io.jsonl import read_authors, read_interactions, read_posts, read_viewer
from feedrank.presets import spec_or_preset
from feedrank.spec.choice import choice_from_args, choose
from feedrank.spec.request import Request, assemble_request, parse_now, request_now

__all__ = [
    "MAX_FOLLOW_GRAPH_BYTES",
    "Request",
    "add_request_options",
    "build_request",
    "parse_now",
    "read_follow_graph",
]

MAX_FOLLOW_GRAPH_BYTES = 256 << 20
"""The largest ``--follow-graph`` file read: 256 MiB."""


def add_request_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that ranks a request reads."""
    parser.add_argument("--spec", required=True, help="spec file (.toml/.json) or preset name")
    parser.add_argument("--posts", required=True, type=Path, help="posts, JSON Lines")
    parser.add_argument("--authors", type=Path, help="authors, JSON Lines")
    parser.add_argument("--viewer", type=Path, help="the viewer, a JSON file")
    parser.add_argument("--interactions", type=Path, help="the viewer's interactions, JSON Lines")
    parser.add_argument("--now", help="ranking time, ISO 8601 with timezone")
    parser.add_argument(
        "--network", type=Path, help="interactions of other accounts (social proof), JSON Lines"
    )
    parser.add_argument(
        "--follow-graph", type=Path, help='who follows whom, a JSON object {"account": [ids]}'
    )
    parser.add_argument(
        "--choose",
        metavar="NAME",
        help="switch to an alternative on the spec's menu (chronological is always on it)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="CONTROL=VALUE",
        help="set one of the spec's published controls (a number, or on/off); repeatable",
    )
    parser.add_argument(
        "--coordination",
        type=Path,
        help="a saved coordination detection (feedrank coordination detect --output)",
    )


def build_request(args: argparse.Namespace) -> Request:
    """Read the spec, posts, authors, viewer and interactions the options name,
    and apply the viewer's choice (``--choose``, ``--set``) to the spec.

    ``now`` is ``--now``, or the ``now`` of ``--cursor`` when only a cursor is given.
    """
    pipeline = spec_or_preset(args.spec)
    chosen = None
    sets: list[str] = getattr(args, "set", None) or []
    alternative: str | None = getattr(args, "choose", None)
    if alternative is not None or sets:
        spec_path = Path(args.spec)
        base_dir = spec_path.parent if spec_path.is_file() else None
        chosen = choose(pipeline, choice_from_args(alternative, sets), base_dir=base_dir)
    authors = read_authors(args.authors) if args.authors else None
    posts = read_posts(args.posts)
    coordination: Path | None = getattr(args, "coordination", None)
    prepare = None
    if coordination is not None:
        from feedrank.coordination import CoordinationFit

        prepare = CoordinationFit.load(coordination).attach
    viewer = read_viewer(args.viewer) if args.viewer else None
    interactions = read_interactions(args.interactions) if args.interactions else []
    now = request_now(args.now, getattr(args, "cursor", None))
    network = read_interactions(args.network) if args.network else []
    follow_graph = read_follow_graph(args.follow_graph) if args.follow_graph else None
    return assemble_request(
        pipeline,
        posts,
        now=now,
        authors=authors,
        viewer=viewer,
        interactions=interactions,
        network=network,
        follow_graph=follow_graph,
        prepare=prepare,
        chosen=chosen,
    )


def read_follow_graph(
    path: Path, *, max_bytes: int = MAX_FOLLOW_GRAPH_BYTES
) -> dict[str, list[str]]:
    """A JSON object mapping an account id to the ids it follows (a file of at
    most ``max_bytes``; an account given twice is an error at its line)."""
    text = read_text(path, max_bytes=max_bytes, what="a follow graph")
    data = decode_json(text, source=str(path), expected="a JSON object of account ids")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in data.items()
    ):
        raise InputError(
            "not a follow graph",
            source=str(path),
            field="--follow-graph",
            expected='a JSON object mapping an account id to the ids it follows, {"a": ["b"]}',
        )
    return data
