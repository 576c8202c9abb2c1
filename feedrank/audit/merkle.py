"""The Merkle tree hash of a log (RFC 6962 §2.1, RFC 9162 §2.1), with its proofs.

A log of ``n`` entries (byte strings) is the leaves of one binary tree:

- a leaf hashes as SHA-256(0x00 ‖ entry) (:func:`leaf_hash`);
- an inner node as SHA-256(0x01 ‖ left ‖ right) (:func:`node_hash`);
- a tree of ``n > 1`` leaves splits into a left subtree of the largest power
  of two ``k < n`` leaves and a right subtree of the other ``n - k``;
- the empty tree hashes as SHA-256 of nothing (:data:`EMPTY_ROOT`).

Every function takes the *leaf hashes* (32 bytes each), so a log hashes each
record once and keeps the hashes. :func:`root` runs in O(n) hashes and
O(log n) memory; :func:`inclusion_proof` and :func:`consistency_proof` hash
the ``n`` leaves once. Nothing recurses, so a log of millions of records is
no deeper a call than a log of one.

An *inclusion proof* shows that a leaf is at an index of a tree of a given
root; a *consistency proof* shows that the tree of ``old_size`` leaves is a
prefix of the tree of ``new_size`` (nobody rewrote the log between two
checkpoints). The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 and answer
True or False; arguments that cannot be a question (an index outside the tree,
a hash that is not 32 bytes) are an :class:`~feedrank.errors.AuditError`.

>>> leaves = [leaf_hash(entry) for entry in (b"a", b"b", b"c")]
>>> top = root(leaves)
>>> top.hex()[:16]
'36642e73c2540ab1'
>>> proof = inclusion_proof(2, leaves)
>>> verify_inclusion(2, 3, leaves[2], proof, top)
True
>>> verify_inclusion(1, 3, leaves[2], proof, top)
False
>>> more = [*leaves, leaf_hash(b"d")]
>>> verify_consistency(3, 4, top, root(more), consistency_proof(3, more))
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from feedrank.errors import AuditError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in a SHA-256 hash: every leaf hash, node hash, root and proof element."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of no bytes."""

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 ‖ entry): the hash of one log entry as a leaf (32 bytes).

    >>> leaf_hash(b"").hex()[:16]
    '6e340b9cffb37a98'
    """
    if not isinstance(entry, bytes):
        raise AuditError(
            f"a {type(entry).__name__} is not an entry", field="entry", expected="bytes"
        )
    return hashlib.sha256(_LEAF + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right): the hash of an inner node (32 bytes).

    >>> node_hash(leaf_hash(b"a"), leaf_hash(b"b")) == root([leaf_hash(b"a"), leaf_hash(b"b")])
    True
    """
    _check_hash(left, "left")
    _check_hash(right, "right")
    return hashlib.sha256(_NODE + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the tree whose leaves hash to ``leaf_hashes``.

    ``leaf_hashes`` holds 32-byte hashes (:func:`leaf_hash` of each entry, in
    log order); the empty sequence gives :data:`EMPTY_ROOT`.

    >>> root([]) == EMPTY_ROOT
    True
    >>> root([leaf_hash(b"x")]) == leaf_hash(b"x")
    True
    """
    _check_hashes(leaf_hashes, "leaf_hashes")
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaf_hashes``
    (RFC 9162 §2.1.3.1): the sibling subtree hashes from the leaf up.

    ``index`` is 0-based, ``0 <= index < len(leaf_hashes)``; a tree of one leaf
    has the empty proof.

    >>> leaves = [leaf_hash(bytes([i])) for i in range(5)]
    >>> len(inclusion_proof(0, leaves)), len(inclusion_proof(4, leaves))
    (3, 1)
    """
    size = len(leaf_hashes)
    _check_index(index, size, "index")
    _check_hashes(leaf_hashes, "leaf_hashes")
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append((mid, hi))
            hi = mid
        else:
            siblings.append((lo, mid))
            lo = mid
    return [_subtree(leaf_hashes, a, b) for a, b in reversed(siblings)]


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of the
    tree of all ``leaf_hashes`` (RFC 9162 §2.1.4.1).

    ``0 <= old_size <= len(leaf_hashes)``; the proof from the empty tree, and
    from a tree to itself, is empty.

    >>> leaves = [leaf_hash(bytes([i])) for i in range(7)]
    >>> len(consistency_proof(4, leaves)), consistency_proof(7, leaves)
    (1, [])
    """
    size = len(leaf_hashes)
    _check_sizes(old_size, size)
    _check_hashes(leaf_hashes, "leaf_hashes")
    if old_size in (0, size):
        return []
    nodes: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            nodes.append((lo + k, hi))
            hi = lo + k
        else:
            nodes.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        nodes.append((lo, hi))
    return [_subtree(leaf_hashes, a, b) for a, b in reversed(nodes)]


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hashing to ``leaf_hash`` at ``index`` of
    the tree of ``size`` leaves whose root is ``root`` (RFC 9162 §2.1.3.2).

    False for any proof that does not verify (a wrong hash, a missing or extra
    element); an AuditError when ``index`` is not in ``[0, size)`` or a hash is
    not 32 bytes.

    >>> leaves = [leaf_hash(bytes([i])) for i in range(6)]
    >>> verify_inclusion(5, 6, leaves[5], inclusion_proof(5, leaves), root(leaves))
    True
    """
    _check_index(index, size, "index")
    _check_hash(leaf_hash, "leaf_hash")
    _check_hash(root, "root")
    _check_hashes(proof, "proof")
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(_NODE + p + r).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(_NODE + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows that the tree of ``old_size`` leaves with root
    ``old_root`` is a prefix of the tree of ``new_size`` leaves with root
    ``new_root`` (RFC 9162 §2.1.4.2).

    When the sizes are equal the proof must be empty and the roots equal; the
    empty tree is a prefix of every tree, with the empty proof, provided
    ``old_root`` is :data:`EMPTY_ROOT`. False for any proof that does not
    verify; an AuditError when ``old_size > new_size``, a size is negative or
    a hash is not 32 bytes.

    >>> leaves = [leaf_hash(bytes([i])) for i in range(8)]
    >>> old, new = root(leaves[:6]), root(leaves)
    >>> verify_consistency(6, 8, old, new, consistency_proof(6, leaves))
    True
    >>> verify_consistency(6, 8, new, old, consistency_proof(6, leaves))
    False
    """
    _check_sizes(old_size, new_size)
    _check_hash(old_root, "old_root")
    _check_hash(new_root, "new_root")
    _check_hashes(proof, "proof")
    if old_size == new_size:
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old tree is a subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hashlib.sha256(_NODE + c + fr).digest()
            sr = hashlib.sha256(_NODE + c + sr).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = hashlib.sha256(_NODE + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def _split(n: int) -> int:
    """The largest power of two < ``n`` (``n >= 2``): the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


_CHUNK = 4096
"""Leaves hashed level by level at once: a power of two, so each full chunk is a
perfect subtree. Bounds the memory of :func:`_subtree` to a chunk and a stack."""


def _subtree(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """The Merkle tree hash of leaves ``[lo, hi)`` (``lo < hi``), without recursion.

    The leaves go in chunks of :data:`_CHUNK`; each full chunk is a perfect
    subtree, hashed level by level (:func:`_levels`). A stack holds perfect
    subtree hashes of strictly decreasing size (a compact range): chunk ``c``
    merges with as many as the trailing one bits of ``c``. The last, partial
    chunk hashes as its own tree, and the stack folds into it from the right,
    which is the RFC's split at the largest power of two.
    """
    sha256 = hashlib.sha256
    stack: list[bytes] = []
    full = (hi - lo) // _CHUNK
    for c in range(full):
        start = lo + c * _CHUNK
        h = _levels(list(leaf_hashes[start : start + _CHUNK]))
        while c & 1:
            h = sha256(_NODE + stack.pop() + h).digest()
            c >>= 1
        stack.append(h)
    if lo + full * _CHUNK < hi:
        stack.append(_levels(list(leaf_hashes[lo + full * _CHUNK : hi])))
    h = stack.pop()
    while stack:
        h = sha256(_NODE + stack.pop() + h).digest()
    return h


def _levels(level: list[bytes]) -> bytes:
    """The Merkle tree hash of ``level`` (not empty), one level at a time: pairs
    hash into their parent and an odd last node moves up unchanged, which for
    any size is the tree of the RFC's power-of-two split."""
    sha256 = hashlib.sha256
    node = _NODE
    while len(level) > 1:
        lefts, rights = level[0::2], level[1::2]  # one more left when the level is odd
        parents = [sha256(node + a + b).digest() for a, b in zip(lefts, rights, strict=False)]
        if len(level) & 1:
            parents.append(level[-1])
        level = parents
    return level[0]


def _check_hash(value: object, field: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else f"a {type(value).__name__}"
        raise AuditError(f"got {got}", field=field, expected=f"a {HASH_SIZE}-byte SHA-256 hash")


def _check_hashes(values: Sequence[bytes], field: str) -> None:
    if isinstance(values, (bytes, str)):
        raise AuditError(
            f"got one {type(values).__name__}", field=field, expected="a sequence of hashes"
        )
    for i, value in enumerate(values):
        if value.__class__ is not bytes or len(value) != HASH_SIZE:
            _check_hash(value, f"{field}[{i}]")


def _check_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AuditError(f"got a {type(value).__name__}", field=field, expected="an int")
    return value


def _check_index(index: int, size: int, field: str) -> None:
    _check_int(index, field)
    _check_int(size, "size")
    if not 0 <= index < size:
        raise AuditError(
            f"index {index} is outside a tree of {size} leaves",
            field=field,
            expected=f"0 <= {field} < {size}",
        )


def _check_sizes(old_size: int, new_size: int) -> None:
    _check_int(old_size, "old_size")
    _check_int(new_size, "new_size")
    if old_size < 0 or new_size < 0:
        raise AuditError(
            f"sizes {old_size} and {new_size}", field="old_size", expected="sizes >= 0"
        )
    if old_size > new_size:
        raise AuditError(
            f"old size {old_size} is larger than new size {new_size}",
            field="old_size",
            expected=f"0 <= old_size <= {new_size}",
        )
