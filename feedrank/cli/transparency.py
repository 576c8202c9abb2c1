"""The transparency-log commands of ``feedrank audit``: keys, checkpoints, receipts.

    feedrank audit keygen --out DIR --origin NAME
    feedrank audit checkpoint LOG --signing-key KEY [--origin NAME] [--output FILE]
    feedrank audit prove LOG --seq N --checkpoint CP [--output FILE]
    feedrank audit verify-receipt RECEIPT --public-key PUB [--format text|json]
    feedrank audit consistency OLD_CP NEW_CP LOG [--public-key PUB] [--format text|json]

``verify-receipt`` and ``consistency`` exit 0 when the proof holds and 1 when
it does not; errors (an unreadable file, a malformed checkpoint) exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from feedrank.cli.output import emit, emit_text
from feedrank.errors import AuditError

__all__ = ["add_transparency_commands", "read_small"]

_MAX_NOTE_FILE = 1 << 20


def read_small(path: Path, what: str, max_bytes: int = _MAX_NOTE_FILE) -> str:
    """The UTF-8 text of a small file (a checkpoint, a key), bounded in size."""
    from feedrank.io.decoding import read_text

    return read_text(path, max_bytes=max_bytes, what=what, error=AuditError)


def _origin_of_public_key(path: Path) -> str:
    from feedrank.audit.keys import load_public_key

    return load_public_key(path).name


def _cmd_keygen(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.keys import keygen

    files = keygen(args.out, name=args.origin)
    out.write(
        f"signing key     {files.signing_key}  (secret: signs checkpoints and records)\n"
        f"public key      {files.public_key}  (publish it: {files.verifier})\n"
        f"pseudonym key   {files.pseudonym_key}  (secret: viewer pseudonyms, --audit-key-file)\n"
        f"data key        {files.data_key}  (secret: seals viewer data; give it to vetted "
        "auditors only)\n"
    )
    return 0


def _cmd_checkpoint(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.keys import load_signing_key
    from feedrank.audit.logtree import checkpoint_log

    origin = args.origin
    if origin is None:
        public = Path(args.signing_key).with_name("signing.pub")
        if not public.exists():
            raise AuditError(
                "no --origin and no signing.pub beside the signing key",
                field="--origin",
                expected="--origin NAME (the log's name, as given to keygen)",
            )
        origin = _origin_of_public_key(public)
    note = checkpoint_log(args.log, load_signing_key(args.signing_key), origin=origin)
    emit_text(out, note, args.output)
    return 0


def _cmd_prove(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.receipts import prove

    receipt = prove(args.log, args.seq, read_small(args.checkpoint, "a checkpoint"))
    emit_text(out, receipt.to_json(), args.output)
    return 0


def _cmd_verify_receipt(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.keys import load_public_key
    from feedrank.audit.receipts import MAX_RECEIPT_BYTES, verify_receipt

    key = load_public_key(args.public_key)
    data = Path(args.receipt).read_bytes()[: MAX_RECEIPT_BYTES + 1]
    try:
        verified = verify_receipt(data, key)
    except AuditError as err:
        emit(out, args.format, {"ok": False, "problem": str(err)}, f"FAILED: {err}")
        return 1
    emit(out, args.format, verified.to_dict(), verified.summary())
    return 0


def _cmd_consistency(args: argparse.Namespace, out: TextIO) -> int:
    from feedrank.audit.keys import load_public_key
    from feedrank.audit.logtree import consistency

    key = load_public_key(args.public_key) if args.public_key else None
    old = read_small(args.old, "a checkpoint")
    new = read_small(args.new, "a checkpoint")
    result = consistency(old, new, args.log, public_key=key)
    emit(out, args.format, result.to_dict(), result.summary())
    return 0 if result.ok else 1


def add_transparency_commands(sub: Any) -> None:
    """Add keygen, checkpoint, prove, verify-receipt and consistency to the
    ``feedrank audit`` subcommands ``sub``."""
    keygen = sub.add_parser(
        "keygen", help="write a signing key, its public key, a pseudonym key and a data key"
    )
    keygen.add_argument("--out", type=Path, required=True, help="directory for the key files")
    keygen.add_argument(
        "--origin", required=True, help="the log's name, e.g. example.com/feeds/home"
    )
    keygen.set_defaults(run=_cmd_keygen)

    cp = sub.add_parser("checkpoint", help="sign a checkpoint of a log as it stands")
    cp.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    cp.add_argument("--signing-key", type=Path, required=True, help="signing.key from keygen")
    cp.add_argument("--origin", help="the log's name (default: the name in signing.pub)")
    cp.add_argument("--output", help="write the checkpoint to this file")
    cp.set_defaults(run=_cmd_checkpoint)

    prove = sub.add_parser("prove", help="a receipt: one record, its inclusion proof, a checkpoint")
    prove.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    prove.add_argument("--seq", type=int, required=True, help="the record number (1-based)")
    prove.add_argument("--checkpoint", type=Path, required=True, help="a checkpoint of the log")
    prove.add_argument("--output", help="write the receipt to this file")
    prove.set_defaults(run=_cmd_prove)

    receipt = sub.add_parser("verify-receipt", help="check a receipt offline, without the log")
    receipt.add_argument("receipt", type=Path, help="a receipt from feedrank audit prove")
    receipt.add_argument("--public-key", type=Path, required=True, help="the log's signing.pub")
    receipt.add_argument("--format", choices=("text", "json"), default="text")
    receipt.set_defaults(run=_cmd_verify_receipt)

    cons = sub.add_parser("consistency", help="prove a newer checkpoint extends an older one")
    cons.add_argument("old", type=Path, help="the older checkpoint")
    cons.add_argument("new", type=Path, help="the newer checkpoint")
    cons.add_argument("log", type=Path, help="the decision log (JSON Lines)")
    cons.add_argument("--public-key", type=Path, help="check both signatures with signing.pub")
    cons.add_argument("--format", choices=("text", "json"), default="text")
    cons.set_defaults(run=_cmd_consistency)
