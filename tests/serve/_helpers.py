"""Running ``feedrank serve`` in a subprocess on a free loopback port, and its test keys.

Import as ``from tests.serve._helpers import ...``. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from feedrank.serve import did_document, sign_service_jwt

ROOT = Path(__file__).resolve().parents[2]
FEEDGEN = ROOT / "examples" / "feedgen"
NOW = "2026-03-01T12:00:00+00:00"
NOW_TS = int(datetime.fromisoformat(NOW).timestamp())
SERVICE = "did:web:localhost"
START_TIMEOUT = 300.0
"""Seconds before a server that never starts counts as hung (a hang guard, not a speed check)."""

ALICE = "did:plc:alicealicealicealicealic"  # secp256k1 (ES256K)
BOB = "did:plc:bobbobbobbobbobbobbobbob"  # P-256 (ES256)
CAROL = "did:plc:carolcarolcarolcarolcarol"  # secp256k1 (ES256K)
MALLORY = "did:plc:mallorymallorymallorymall"  # in no DID document


@dataclass
class Keys:
    """Locally generated atproto signing keys and the DID documents that publish them."""

    alice: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256K1())
    )
    bob: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    carol: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256K1())
    )

    def documents(self) -> list[dict[str, Any]]:
        return [
            did_document(ALICE, self.alice.public_key()),
            did_document(BOB, self.bob.public_key()),
            did_document(CAROL, self.carol.public_key()),
        ]

    def token(
        self,
        who: str = ALICE,
        method: str = "app.bsky.feed.getFeedSkeleton",
        *,
        key: ec.EllipticCurvePrivateKey | None = None,
        **claims: Any,
    ) -> str:
        signer = key or {ALICE: self.alice, BOB: self.bob, CAROL: self.carol}[who]
        body: dict[str, Any] = {"iss": who, "aud": SERVICE, "exp": NOW_TS + 300, "lxm": method}
        body.update(claims)
        return sign_service_jwt({k: v for k, v in body.items() if v is not None}, signer)


@dataclass
class Server:
    """A running ``feedrank serve``."""

    proc: subprocess.Popen[str]
    port: int
    tmp: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, trust_env=False)

    def stop(self) -> tuple[int, str]:
        """SIGTERM, wait, and return the exit status and the output."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out + err


def write_secret(path: Path) -> Path:
    path.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    return path


def start_server(tmp: Path, *args: str) -> Server:
    """``feedrank serve ARGS --port 0`` in a subprocess, once it listens."""
    ready = tmp / "port"
    command = [
        sys.executable,
        "-c",
        "import sys; from feedrank.cli import main; sys.exit(main())",
        "serve",
        *args,
        "--port",
        "0",
        "--ready-file",
        str(ready),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if proc.poll() is not None:
            pytest.fail(f"the server exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start in time: {proc.communicate()}")
        time.sleep(0.05)
    return Server(proc, int(ready.read_text()), tmp)


def feed_server(tmp: Path, keys: Keys, *extra: str) -> Server:
    """The example feed generator's configuration, with keys and DID documents in ``tmp``."""
    docs = tmp / "did-documents.json"
    docs.write_text(json.dumps(keys.documents()), encoding="utf-8")
    return start_server(
        tmp,
        "--spec", str(FEEDGEN / "hot_for_you.toml"),
        "--db", str(tmp / "feed.sqlite"),
        "--seed-posts", str(FEEDGEN / "posts.jsonl"),
        "--did-documents", str(docs),
        "--now", NOW,
        "--audit-log", str(tmp / "decisions.jsonl"),
        "--audit-key-file", str(write_secret(tmp / "audit.key")),
        "--audit-data-key-file", str(write_secret(tmp / "audit.data-key")),
        "--audit-fsync", "never",
        "--cursor-key-file", str(tmp / "cursor.key"),
        *extra,
    )  # fmt: skip
