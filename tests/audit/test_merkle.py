"""The Merkle tree hash and its proofs (feedrank.audit.merkle) against RFC 6962 /
RFC 9162: published test vectors, the RFC's recursive definitions written out
here, and tampering with every part of a proof."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedrank.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from feedrank.errors import AuditError

# --- Published vectors -------------------------------------------------------
# From github.com/transparency-dev/merkle: testonly/constants.go (LeafInputs,
# NodeHashes level 0, RootHashes) and proof/verify_test.go (inclusionProofs,
# consistencyProofs; there "leaf" is 1-based, here the index is 0-based).

REFERENCE_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
REFERENCE_LEAF_HASHES = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    )
]
REFERENCE_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
"""Roots of the trees of the first 0, 1, ..., 8 reference inputs."""


def _hashes(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


REFERENCE_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        _hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _hashes(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _hashes("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _hashes(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]
"""(index, tree size, audit path) of the reference trees."""

REFERENCE_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        _hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _hashes(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]
"""(old size, new size, consistency proof) of the reference trees."""

WRONG_TYPE: dict[str, Any] = {"str": "text", "bytes": b"\x01" * 32, "bytearray": bytearray(32)}
"""Values of a type the functions refuse (typed Any so that the calls type-check)."""

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
"""An arbitrary 32-byte value (proof/verify_test.go's sha256SomeHash)."""


# --- The RFC's definitions, recursively, as the oracle ----------------------


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1 over leaf hashes, by its recursive definition."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2."""
    if m == len(d):
        return [] if whole else [mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*subproof(m, d[:k], whole), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def leaves_of(size: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(size)]


def flipped(value: bytes, at: int, mask: int = 1) -> bytes:
    out = bytearray(value)
    out[at] ^= mask
    return bytes(out)


# --- Published vectors -------------------------------------------------------


def test_leaf_hashes_of_the_reference_inputs() -> None:
    assert [leaf_hash(e) for e in REFERENCE_INPUTS] == REFERENCE_LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_roots_of_the_reference_trees(size: int) -> None:
    leaves = [leaf_hash(e) for e in REFERENCE_INPUTS[:size]]
    assert root(leaves) == REFERENCE_ROOTS[size]


def test_the_empty_root_is_the_hash_of_nothing() -> None:
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_node_hash_is_sha256_of_one_and_both_children() -> None:
    a, b = REFERENCE_LEAF_HASHES[:2]
    assert node_hash(a, b) == REFERENCE_ROOTS[2]
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()


@pytest.mark.parametrize(("index", "size", "proof"), REFERENCE_INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    leaves = REFERENCE_LEAF_HASHES[:size]
    assert inclusion_proof(index, leaves) == proof
    assert verify_inclusion(index, size, leaves[index], proof, REFERENCE_ROOTS[size])


@pytest.mark.parametrize(("index", "size", "proof"), REFERENCE_INCLUSION)
def test_reference_inclusion_proofs_refuse_the_reference_corruptions(
    index: int, size: int, proof: list[bytes]
) -> None:
    """The probes of proof/verify_test.go's corruptInclusionProof: each is refused,
    as False or, where it is not a question at all, as an AuditError."""
    top, leaf = REFERENCE_ROOTS[size], REFERENCE_LEAF_HASHES[index]
    probes: list[tuple[int, int, bytes, list[bytes], bytes]] = [
        (index - 1, size, leaf, proof, top),
        (index + 1, size, leaf, proof, top),
        (index ^ 2, size, leaf, proof, top),
        (index, size * 2, leaf, proof, top),
        (index, size // 2, leaf, proof, top),
        (index, size, b"WrongLeaf", proof, top),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], top),
        (index, size, leaf, [*proof, top], top),
        (index, size, leaf, [b"", *proof], top),
        (index, size, leaf, [top, *proof], top),
    ]
    for i in range(len(proof)):
        probes.append(
            (index, size, leaf, [*proof[:i], flipped(proof[i], 0, 8), *proof[i + 1 :]], top)
        )
    if proof:
        probes.append((index, size, leaf, proof[:-1], top))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], top))
    for probe in probes:
        try:
            accepted = verify_inclusion(*probe)
        except AuditError:
            accepted = False
        assert not accepted, probe


@pytest.mark.parametrize(("old", "new", "proof"), REFERENCE_CONSISTENCY)
def test_reference_consistency_proofs(old: int, new: int, proof: list[bytes]) -> None:
    leaves = REFERENCE_LEAF_HASHES[:new]
    assert consistency_proof(old, leaves) == proof
    assert verify_consistency(old, new, REFERENCE_ROOTS[old], REFERENCE_ROOTS[new], proof)


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in REFERENCE_CONSISTENCY if v[2]])
def test_reference_consistency_proofs_refuse_the_reference_corruptions(
    old: int, new: int, proof: list[bytes]
) -> None:
    """The probes of proof/verify_test.go's corruptConsistencyProof."""
    r1, r2 = REFERENCE_ROOTS[old], REFERENCE_ROOTS[new]
    probes: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        probes.append((old, new, r1, r2, [*proof[:i], flipped(proof[i], 0, 16), *proof[i + 1 :]]))
    for probe in probes:
        try:
            accepted = verify_consistency(*probe)
        except AuditError:
            accepted = False
        assert not accepted, probe


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "expected"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 1, EMPTY_ROOT, REFERENCE_ROOTS[1], [], True),
        (0, 8, EMPTY_ROOT, REFERENCE_ROOTS[8], [], True),
        (1, 1, REFERENCE_ROOTS[1], REFERENCE_ROOTS[1], [], True),
        (0, 0, EMPTY_ROOT, SOME_HASH, [], False),
        (1, 1, REFERENCE_ROOTS[1], SOME_HASH, [], False),
        (0, 1, SOME_HASH, REFERENCE_ROOTS[1], [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, REFERENCE_ROOTS[1], [EMPTY_ROOT], False),
        (1, 1, REFERENCE_ROOTS[1], REFERENCE_ROOTS[1], [EMPTY_ROOT], False),
        (1, 2, REFERENCE_ROOTS[1], REFERENCE_ROOTS[2], [], False),
    ],
)
def test_consistency_of_trivial_sizes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], expected: bool
) -> None:
    """The cases of proof/verify_test.go's TestVerifyConsistency that are questions
    (its "don't care" roots are not 32 bytes: here that is an AuditError)."""
    assert verify_consistency(old, new, old_root, new_root, proof) is expected


def test_single_entry_inclusion() -> None:
    """proof/verify_test.go TestVerifyInclusionSingleEntry: the root of one leaf
    is the leaf hash, and the proof is empty."""
    h = leaf_hash(b"data")
    assert verify_inclusion(0, 1, h, [], h)
    assert not verify_inclusion(0, 1, h, [], SOME_HASH)
    with pytest.raises(AuditError):
        verify_inclusion(0, 1, b"", [], h)
    with pytest.raises(AuditError):
        verify_inclusion(0, 1, h, [], b"")


# --- Against the RFC's recursive definitions ---------------------------------


@settings(max_examples=120, deadline=None)
@given(size=st.integers(1, 300), salt=st.binary(max_size=4))
def test_root_is_the_rfc_tree_hash(size: int, salt: bytes) -> None:
    leaves = leaves_of(size, salt)
    assert root(leaves) == mth(leaves)


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(st.binary(max_size=16), max_size=70))
def test_root_of_arbitrary_entries_is_the_rfc_tree_hash(entries: list[bytes]) -> None:
    leaves = [leaf_hash(e) for e in entries]
    assert root(leaves) == mth(leaves)


@pytest.mark.parametrize("size", [4095, 4096, 4097, 8191, 8192, 8193, 3 * 4096 + 5])
def test_root_across_chunk_boundaries(size: int) -> None:
    """Sizes around the chunks the root is hashed in (4096 leaves)."""
    leaves = leaves_of(size)
    assert root(leaves) == mth(leaves)
    top = root(leaves)
    for index in {0, 1, 4094, 4095, 4096, size // 2, size - 2, size - 1} & set(range(size)):
        proof = inclusion_proof(index, leaves)
        assert proof == path(index, leaves)
        assert verify_inclusion(index, size, leaves[index], proof, top)
    for old in {1, 4095, 4096, 4097, size - 1} & set(range(1, size + 1)):
        proof = consistency_proof(old, leaves)
        assert proof == subproof(old, leaves, True)
        assert verify_consistency(old, size, root(leaves[:old]), top, proof)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_inclusion_proofs_are_the_rfc_audit_paths(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size)
    index = data.draw(st.integers(0, size - 1), label="index")
    assert inclusion_proof(index, leaves) == path(index, leaves)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_consistency_proofs_are_the_rfc_proofs(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size)
    old = data.draw(st.integers(1, size), label="old")
    assert consistency_proof(old, leaves) == subproof(old, leaves, True)


# --- Every proof verifies; every change is caught ---------------------------


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 300))
def test_every_inclusion_proof_verifies(size: int) -> None:
    leaves = leaves_of(size)
    top = root(leaves)
    for index in range(size):
        assert verify_inclusion(index, size, leaves[index], inclusion_proof(index, leaves), top)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_an_inclusion_proof_fails_when_any_byte_changes(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size)
    top = root(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(index, leaves)
    parts = ["leaf", "root"] + (["proof"] if proof else [])
    part = data.draw(st.sampled_from(parts), label="part")
    at = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    leaf = leaves[index]
    if part == "leaf":
        leaf = flipped(leaf, at, mask)
    elif part == "root":
        top = flipped(top, at, mask)
    else:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        proof[i] = flipped(proof[i], at, mask)
    assert not verify_inclusion(index, size, leaf, proof, top)


@settings(max_examples=100, deadline=None)
@given(size=st.integers(2, 300), data=st.data())
def test_an_inclusion_proof_fails_at_another_index(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size)
    top = root(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    other = data.draw(st.integers(0, size - 1).filter(lambda j: j != index), label="other")
    proof = inclusion_proof(index, leaves)
    assert not verify_inclusion(other, size, leaves[index], proof, top)


@pytest.mark.parametrize("size", range(1, 18))
def test_every_byte_of_every_small_inclusion_proof_matters(size: int) -> None:
    """Exhaustively for small trees: each index, each other index, and a flip of
    each byte of the leaf, each proof element and the root."""
    leaves = leaves_of(size)
    top = root(leaves)
    for index in range(size):
        leaf, proof = leaves[index], inclusion_proof(index, leaves)
        for other in range(size):
            assert verify_inclusion(other, size, leaf, proof, top) is (other == index)
        for at in range(32):
            assert not verify_inclusion(index, size, flipped(leaf, at), proof, top)
            assert not verify_inclusion(index, size, leaf, proof, flipped(top, at))
            for i in range(len(proof)):
                bad = [*proof[:i], flipped(proof[i], at, 0x80), *proof[i + 1 :]]
                assert not verify_inclusion(index, size, leaf, bad, top)


@pytest.mark.parametrize("new", range(1, 34))
def test_every_consistency_proof_of_small_trees_verifies_and_every_byte_matters(new: int) -> None:
    leaves = leaves_of(new)
    new_root = root(leaves)
    for old in range(new + 1):
        old_root = root(leaves[:old])
        proof = consistency_proof(old, leaves)
        assert verify_consistency(old, new, old_root, new_root, proof)
        for at in range(0, 32, 3):
            assert not verify_consistency(old, new, flipped(old_root, at), new_root, proof)
            if old:  # the empty tree is a prefix of every tree: any new root will do
                assert not verify_consistency(old, new, old_root, flipped(new_root, at), proof)
            for i in range(len(proof)):
                bad = [*proof[:i], flipped(proof[i], at), *proof[i + 1 :]]
                assert not verify_consistency(old, new, old_root, new_root, bad)


@settings(max_examples=40, deadline=None)
@given(new=st.integers(1, 300))
def test_every_consistency_proof_verifies(new: int) -> None:
    leaves = leaves_of(new)
    new_root = root(leaves)
    for old in range(new + 1):
        proof = consistency_proof(old, leaves)
        assert verify_consistency(old, new, root(leaves[:old]), new_root, proof)


@settings(max_examples=150, deadline=None)
@given(new=st.integers(1, 300), data=st.data())
def test_a_consistency_proof_fails_when_tampered(new: int, data: st.DataObject) -> None:
    leaves = leaves_of(new)
    old = data.draw(st.integers(0, new), label="old")
    old_root, new_root = root(leaves[:old]), root(leaves)
    proof = consistency_proof(old, leaves)
    parts = ["old_root", "old_size", "extra"]
    parts += ["new_root"] if old else []  # the empty tree is a prefix of every tree
    parts += ["proof", "drop"] if proof else []
    part = data.draw(st.sampled_from(parts), label="part")
    at = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    if part == "old_root":
        old_root = flipped(old_root, at, mask)
    elif part == "new_root":
        new_root = flipped(new_root, at, mask)
    elif part == "old_size":
        old = data.draw(st.integers(0, new).filter(lambda m: m != old), label="other old")
    elif part == "extra":
        proof.insert(data.draw(st.integers(0, len(proof)), label="at"), SOME_HASH)
    elif part == "drop":
        del proof[data.draw(st.integers(0, len(proof) - 1), label="element")]
    else:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        proof[i] = flipped(proof[i], at, mask)
    assert not verify_consistency(old, new, old_root, new_root, proof)


@settings(max_examples=60, deadline=None)
@given(new=st.integers(2, 300), data=st.data())
def test_a_rewritten_log_has_no_consistency_proof(new: int, data: st.DataObject) -> None:
    """Changing one entry before old_size: the old root's proof to the rewritten
    log's root fails, whichever proof the rewritten log offers."""
    leaves = leaves_of(new)
    old = data.draw(st.integers(1, new - 1), label="old")
    changed = data.draw(st.integers(0, old - 1), label="changed")
    rewritten = [*leaves]
    rewritten[changed] = leaf_hash(b"rewritten")
    proof = consistency_proof(old, rewritten)
    assert not verify_consistency(old, new, root(leaves[:old]), root(rewritten), proof)


# --- Bad arguments -----------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: inclusion_proof(3, leaves_of(3)), "index"),
        (lambda: inclusion_proof(-1, leaves_of(3)), "index"),
        (lambda: inclusion_proof(0, []), "index"),
        (lambda: inclusion_proof(True, leaves_of(3)), "index"),
        (lambda: inclusion_proof(0, [*leaves_of(2), b"short"]), "leaf_hashes[2]"),
        (lambda: verify_inclusion(5, 5, SOME_HASH, [], SOME_HASH), "index"),
        (lambda: verify_inclusion(0, 0, SOME_HASH, [], EMPTY_ROOT), "index"),
        (lambda: verify_inclusion(0, 2, SOME_HASH[:31], [SOME_HASH], SOME_HASH), "leaf_hash"),
        (lambda: verify_inclusion(0, 2, SOME_HASH, [SOME_HASH], SOME_HASH + b"x"), "root"),
        (
            lambda: verify_inclusion(0, 2, SOME_HASH, [SOME_HASH, WRONG_TYPE["str"]], SOME_HASH),
            "proof[1]",
        ),
        (lambda: verify_inclusion(0, 2, SOME_HASH, WRONG_TYPE["bytes"], SOME_HASH), "proof"),
        (lambda: consistency_proof(4, leaves_of(3)), "old_size"),
        (lambda: consistency_proof(-1, leaves_of(3)), "old_size"),
        (lambda: verify_consistency(4, 3, SOME_HASH, SOME_HASH, []), "old_size"),
        (lambda: verify_consistency(1, 3, SOME_HASH, b"", []), "new_root"),
        (lambda: verify_consistency(1, 3, b"", SOME_HASH, []), "old_root"),
        (lambda: verify_consistency(1, 3, SOME_HASH, SOME_HASH, [b"x" * 33]), "proof[0]"),
        (lambda: root([SOME_HASH, WRONG_TYPE["bytearray"]]), "leaf_hashes[1]"),
        (lambda: node_hash(SOME_HASH, b""), "right"),
        (lambda: leaf_hash(WRONG_TYPE["str"]), "entry"),
    ],
)
def test_bad_arguments_are_audit_errors_naming_the_field(
    call: Callable[[], object], field: str
) -> None:
    with pytest.raises(AuditError) as info:
        call()
    assert info.value.field == field
    assert info.value.expected
