"""Off-policy estimators: against plain Python, unbiased on simulated bandits and slates."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from feedrank.errors import InputError
from feedrank.evaluate.offpolicy import (
    OffPolicyEstimate,
    SlateEstimate,
    doubly_robust,
    ips,
    slate_iips,
    slate_ips,
    slate_rips,
    snips,
)

prob = st.floats(min_value=0.01, max_value=1.0)
reward = st.floats(min_value=-5, max_value=5, allow_nan=False)


def kish(w: list[float]) -> float:
    sq = sum(x * x for x in w)
    return sum(w) ** 2 / sq if sq else 0.0


# -------------------------------------------------------------- single action
def test_single_action_by_hand() -> None:
    r = [1.0, 0.0, 1.0, 1.0]
    b = [0.5, 0.5, 0.25, 0.5]
    e = [1.0, 0.0, 0.5, 0.5]
    # w = 2, 0, 2, 1
    est = ips(r, b, e, rng=0, n_resamples=0)
    assert est.value == 1.25
    assert math.isnan(est.ci_low)
    assert est.n_resamples == 0
    assert est.ess == pytest.approx(25 / 9)
    assert est.mean_weight == 1.25
    assert snips(r, b, e, rng=0).value == pytest.approx(5 / 5)
    q_logged = [0.5, 0.5, 0.5, 0.5]
    q_target = [0.8, 0.1, 0.6, 0.5]
    # q_t + w (r − q_l) = .8 + 1, .1 + 0, .6 + 1, .5 + .5
    dr = doubly_robust(r, b, e, q_logged, q_target, rng=0)
    assert dr.value == pytest.approx((1.8 + 0.1 + 1.6 + 1.0) / 4)
    assert (est.estimator, dr.estimator) == ("ips", "dr")


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[float], ...]:
    n = draw(st.integers(1, 25))
    r = draw(st.lists(reward, min_size=n, max_size=n))
    b = draw(st.lists(prob, min_size=n, max_size=n))
    e = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    ql = draw(st.lists(reward, min_size=n, max_size=n))
    qt = draw(st.lists(reward, min_size=n, max_size=n))
    return r, b, e, ql, qt


@settings(max_examples=60, deadline=None)
@given(logs())
def test_single_action_matches_plain_python(log: tuple[list[float], ...]) -> None:
    r, b, e, ql, qt = log
    w = [ei / bi for ei, bi in zip(e, b, strict=True)]
    n = len(r)
    v_ips = ips(r, b, e, rng=0, n_resamples=20)
    assert v_ips.value == pytest.approx(
        sum(wi * ri for wi, ri in zip(w, r, strict=True)) / n, abs=1e-9
    )
    assert v_ips.ess == pytest.approx(kish(w))
    assert v_ips.ci_low <= v_ips.ci_high
    dr = doubly_robust(r, b, e, ql, qt, rng=0, n_resamples=20)
    expected = sum(t + wi * (ri - q) for t, wi, ri, q in zip(qt, w, r, ql, strict=True)) / n
    assert dr.value == pytest.approx(expected, abs=1e-9)
    if sum(w) > 0:
        sn = snips(r, b, e, rng=0, n_resamples=20)
        assert sn.value == pytest.approx(
            sum(wi * ri for wi, ri in zip(w, r, strict=True)) / sum(w), abs=1e-9
        )
    # DR with q̂ ≡ 0 is IPS
    zeros = [0.0] * n
    assert doubly_robust(r, b, e, zeros, zeros, rng=0, n_resamples=0).value == pytest.approx(
        v_ips.value, abs=1e-12
    )


class Bandit:
    """Contexts x with p(x), softmax policies over A actions, Bernoulli rewards μ(x, a)."""

    def __init__(self, seed: int = 0, contexts: int = 4, actions: int = 5) -> None:
        gen = np.random.default_rng(seed)
        self.px = gen.dirichlet(np.ones(contexts))
        self.mu = gen.uniform(0.05, 0.9, (contexts, actions))
        self.pi_b = softmax(gen.normal(0, 1, (contexts, actions)))
        self.pi_e = softmax(2.0 * self.mu + gen.normal(0, 0.3, (contexts, actions)))
        self.q_hat = np.clip(self.mu + gen.normal(0, 0.15, self.mu.shape), 0, 1)  # misspecified
        self.truth = float((self.px[:, None] * self.pi_e * self.mu).sum())

    def sample(self, n: int, gen: np.random.Generator) -> dict[str, NDArray[np.float64]]:
        x = gen.choice(self.px.shape[0], size=n, p=self.px)
        u = gen.random(n)[:, None]
        a = (u > np.cumsum(self.pi_b[x], axis=1)).sum(axis=1)
        a = np.minimum(a, self.mu.shape[1] - 1)
        r = (gen.random(n) < self.mu[x, a]).astype(np.float64)
        return {
            "reward": r,
            "behavior": self.pi_b[x, a],
            "target": self.pi_e[x, a],
            "q_logged": self.q_hat[x, a],
            "q_target": (self.pi_e[x] * self.q_hat[x]).sum(axis=1),
        }


def softmax(z: NDArray[np.float64]) -> NDArray[np.float64]:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True), dtype=np.float64)


def test_ips_and_dr_are_exactly_unbiased() -> None:
    """E_b[V̂] over every (x, a), with r replaced by its mean μ(x, a), is the true value."""
    bandit = Bandit()
    expect_ips = expect_dr = 0.0
    for x, a in itertools.product(range(4), range(5)):
        p = bandit.px[x] * bandit.pi_b[x, a]
        args = ([bandit.mu[x, a]], [bandit.pi_b[x, a]], [bandit.pi_e[x, a]])
        expect_ips += p * ips(*args, rng=0, n_resamples=0).value
        q_t = float((bandit.pi_e[x] * bandit.q_hat[x]).sum())
        expect_dr += (
            p * doubly_robust(*args, [bandit.q_hat[x, a]], [q_t], rng=0, n_resamples=0).value
        )
    assert expect_ips == pytest.approx(bandit.truth, rel=1e-12)
    assert expect_dr == pytest.approx(bandit.truth, rel=1e-12)


def test_estimators_recover_the_true_value_on_a_simulated_bandit() -> None:
    bandit = Bandit()
    log = bandit.sample(20_000, np.random.default_rng(1))
    base = (log["reward"], log["behavior"], log["target"])
    results = [
        ips(*base, rng=2, n_resamples=500),
        snips(*base, rng=2, n_resamples=500),
        doubly_robust(*base, log["q_logged"], log["q_target"], rng=2, n_resamples=500),
    ]
    for est in results:
        assert est.ci_low <= bandit.truth <= est.ci_high, est
        assert est.value == pytest.approx(bandit.truth, abs=0.02)
        assert est.n == 20_000
        assert 0 < est.ess < 20_000
        assert est.mean_weight == pytest.approx(1.0, abs=0.05)
    ips_est, _, dr_est = results
    assert dr_est.ci_high - dr_est.ci_low < ips_est.ci_high - ips_est.ci_low
    # on-policy: w ≡ 1, IPS is the sample mean and the ESS is n
    on = ips(log["reward"], log["behavior"], log["behavior"], rng=0, n_resamples=0)
    assert on.value == pytest.approx(log["reward"].mean())
    assert on.ess == pytest.approx(20_000)


def test_bootstrap_is_deterministic_for_a_given_rng() -> None:
    log = Bandit().sample(500, np.random.default_rng(0))
    args = (log["reward"], log["behavior"], log["target"])
    assert snips(*args, rng=4, n_resamples=300) == snips(*args, rng=4, n_resamples=300)
    gen = np.random.default_rng(4)
    assert snips(*args, rng=gen, n_resamples=300) != snips(*args, rng=gen, n_resamples=300)


@pytest.mark.parametrize(
    ("field", "behavior", "target", "message"),
    [
        ("behavior", [0.5, 0.0], [0.5, 0.5], r"probability in \(0, 1\]"),
        ("behavior", [0.5, 1.2], [0.5, 0.5], r"probability in \(0, 1\]"),
        ("target", [0.5, 0.5], [0.5, -0.1], r"probability in \[0, 1\]"),
        ("target", [0.5, 0.5], [0.5, math.nan], "finite"),
        ("behavior", [0.5], [0.5, 0.5], "length 1 differs"),
    ],
)
def test_bad_propensities(
    field: str, behavior: list[float], target: list[float], message: str
) -> None:
    with pytest.raises(InputError, match=message) as err:
        ips([1.0, 0.0], behavior, target, rng=0)
    assert err.value.field == field


def test_other_input_errors() -> None:
    with pytest.raises(InputError, match="finite"):
        ips([1.0, math.nan], [0.5, 0.5], [0.5, 0.5], rng=0)
    with pytest.raises(InputError, match="at least one"):
        ips([], [], [], rng=0)
    with pytest.raises(InputError, match="every importance weight is 0"):
        snips([1.0], [0.5], [0.0], rng=0)
    with pytest.raises(InputError, match="q_target"):
        doubly_robust([1.0], [0.5], [0.5], [0.1], [0.1, 0.2], rng=0)
    with pytest.raises(InputError, match="rng"):
        ips([1.0], [0.5], [0.5], rng="seed")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="n_resamples"):
        ips([1.0], [0.5], [0.5], rng=0, n_resamples=-1)
    with pytest.raises(InputError, match="twice"):
        slate_ips([0, 0], [1, 1], [1.0, 0.0], [0.5, 0.5], [0.5, 0.5], rng=0)
    with pytest.raises(InputError, match="integer"):
        slate_rips([0, 0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.5, 0.5], rng=0)
    with pytest.raises(InputError, match="slate"):
        slate_iips([0], [0, 1], [1.0, 0.0], [0.5, 0.5], [0.5, 0.5], rng=0)


# ------------------------------------------------------------------------ slates
SlateRow = tuple[object, int, float, float, float]


def plain_slate(rows: list[SlateRow], kind: str) -> tuple[float, dict[int, float]]:
    """Plain-Python slate estimators over (slate, position, reward, behavior, target) rows."""
    slates: dict[object, list[SlateRow]] = {}
    for row in rows:
        slates.setdefault(row[0], []).append(row)
    total = 0.0
    by_pos: dict[int, float] = {}
    for members in slates.values():
        members.sort(key=lambda row: row[1])
        whole = 1.0
        for row in members:
            whole *= row[4] / row[3]
        prefix = 1.0
        for _, pos, r, b, e in members:
            prefix *= e / b
            w = {"slate_ips": whole, "iips": e / b, "rips": prefix}[kind]
            total += r * w
            by_pos[pos] = by_pos.get(pos, 0.0) + r * w
    n = len(slates)
    return total / n, {k: v / n for k, v in by_pos.items()}


@st.composite
def slate_logs(draw: st.DrawFn) -> list[SlateRow]:
    n_slates = draw(st.integers(1, 6))
    rows: list[SlateRow] = []
    for s in range(n_slates):
        positions = draw(st.lists(st.integers(0, 6), min_size=1, max_size=5, unique=True))
        sid = draw(st.sampled_from([f"s{s}", f"t{s}"]))
        for p in positions:
            rows.append((sid, p, draw(reward), draw(prob), draw(st.floats(0.0, 1.0))))
    return draw(st.permutations(rows))


ESTIMATORS: dict[str, Callable[..., SlateEstimate]] = {
    "slate_ips": slate_ips,
    "iips": slate_iips,
    "rips": slate_rips,
}


@settings(max_examples=60, deadline=None)
@given(slate_logs(), st.sampled_from(sorted(ESTIMATORS)))
def test_slate_estimators_match_plain_python(rows: list[SlateRow], kind: str) -> None:
    cols = list(zip(*rows, strict=True))
    est = ESTIMATORS[kind](
        np.array(cols[0]), np.array(cols[1]), cols[2], cols[3], cols[4], rng=0, n_resamples=10
    )
    value, by_pos = plain_slate(rows, kind)
    assert est.estimator == kind
    assert est.value == pytest.approx(value, rel=1e-9, abs=1e-9)
    assert est.positions.tolist() == sorted(by_pos)
    assert est.by_position.tolist() == pytest.approx([by_pos[p] for p in sorted(by_pos)], abs=1e-9)
    assert float(est.by_position.sum()) == pytest.approx(est.value, abs=1e-9)
    assert est.n == len({r[0] for r in rows})


class SlateWorld:
    """5 items, slates of 3, Plackett–Luce policies; every slate and its probability."""

    items, length = 5, 3

    def __init__(self) -> None:
        self.rel = np.array([0.7, 0.5, 0.35, 0.2, 0.1])
        self.exam = np.array([1.0, 0.6, 0.35])
        self.logit_b = np.zeros(self.items)  # uniform logging
        self.logit_e = np.array([1.5, 0.8, 0.0, -0.5, -1.0])  # prefers relevant items
        self.slates = list(itertools.permutations(range(self.items), self.length))

    def factors(self, slate: tuple[int, ...], logits: NDArray[np.float64]) -> list[float]:
        """π(a_k | a_<k) of a Plackett–Luce ranker."""
        left = list(range(self.items))
        out = []
        for a in slate:
            z = np.exp(logits[left])
            out.append(float(np.exp(logits[a]) / z.sum()))
            left.remove(a)
        return out

    def prob(self, slate: tuple[int, ...], logits: NDArray[np.float64]) -> float:
        return math.prod(self.factors(slate, logits))

    def marginal(self, logits: NDArray[np.float64]) -> NDArray[np.float64]:
        """(items, length): P(item at position k)."""
        m = np.zeros((self.items, self.length))
        for s in self.slates:
            p = self.prob(s, logits)
            for k, a in enumerate(s):
                m[a, k] += p
        return m

    def mean_reward(self, slate: tuple[int, ...], model: str) -> list[float]:
        if model == "pbm":
            return [self.exam[k] * self.rel[a] for k, a in enumerate(slate)]
        out, survive = [], 1.0  # cascade: scan down, stop at the first click
        for a in slate:
            out.append(survive * self.rel[a])
            survive *= 1.0 - self.rel[a]
        return out

    def truth(self, model: str) -> float:
        return sum(
            self.prob(s, self.logit_e) * sum(self.mean_reward(s, model)) for s in self.slates
        )

    def columns(
        self, slates: list[tuple[int, ...]], rewards: list[list[float]]
    ) -> dict[str, NDArray[np.float64]]:
        mb, me = self.marginal(self.logit_b), self.marginal(self.logit_e)
        cols: dict[str, list[float]] = {
            k: [] for k in ["slate", "position", "reward", "fb", "fe", "mb", "me"]
        }
        for i, (s, r) in enumerate(zip(slates, rewards, strict=True)):
            fb, fe = self.factors(s, self.logit_b), self.factors(s, self.logit_e)
            for k, a in enumerate(s):
                for key, value in zip(
                    cols, (i, k, r[k], fb[k], fe[k], mb[a, k], me[a, k]), strict=True
                ):
                    cols[key].append(value)
        return {k: np.array(v) for k, v in cols.items()}


def run(world_cols: dict[str, NDArray[np.float64]], kind: str, **kw: object) -> SlateEstimate:
    c = world_cols
    slate, position = c["slate"].astype(np.int64), c["position"].astype(np.int64)
    if kind == "iips":
        return slate_iips(slate, position, c["reward"], c["mb"], c["me"], **kw)  # type: ignore[arg-type]
    return ESTIMATORS[kind](slate, position, c["reward"], c["fb"], c["fe"], **kw)


@pytest.mark.parametrize("model", ["pbm", "cascade"])
def test_slate_estimators_exact_expectation(model: str) -> None:
    """E_b[V̂]: the estimators are linear in the rewards, so the log of every slate s
    with reward S · π_b(s) · E[r | s] gives Σ_s π_b(s) V̂(s) in one call."""
    world = SlateWorld()
    n = len(world.slates)
    rewards = [
        [n * world.prob(s, world.logit_b) * r for r in world.mean_reward(s, model)]
        for s in world.slates
    ]
    cols = world.columns(world.slates, rewards)
    truth = world.truth(model)
    for kind in ("slate_ips", "rips"):  # unbiased under both click models
        assert run(cols, kind, rng=0, n_resamples=0).value == pytest.approx(truth, rel=1e-12)
    iips = run(cols, "iips", rng=0, n_resamples=0).value
    if model == "pbm":
        assert iips == pytest.approx(truth, rel=1e-12)
    else:  # the cascade breaks IIPS's item-position assumption
        assert abs(iips - truth) > 0.02


def sample_slates(
    world: SlateWorld, n: int, gen: np.random.Generator, model: str
) -> tuple[list[tuple[int, ...]], list[list[float]]]:
    """n slates from the logging Plackett–Luce ranker (Gumbel top-k) and their clicks."""
    gumbel = world.logit_b + gen.gumbel(size=(n, world.items))
    slates = [tuple(row) for row in np.argsort(-gumbel, axis=1)[:, : world.length].tolist()]
    rewards: list[list[float]] = []
    for s in slates:
        if model == "pbm":  # examined with e_k, then clicked with rel
            rewards.append([float(gen.random() < q) for q in world.mean_reward(s, "pbm")])
            continue
        row, stopped = [], False
        for a in s:
            click = not stopped and gen.random() < world.rel[a]
            row.append(float(click))
            stopped = stopped or click
        rewards.append(row)
    return slates, rewards


@pytest.mark.parametrize(("model", "kinds"), [("pbm", ("iips", "rips")), ("cascade", ("rips",))])
def test_slate_estimators_recover_the_target_value(model: str, kinds: tuple[str, ...]) -> None:
    world = SlateWorld()
    slates, rewards = sample_slates(world, 6000, np.random.default_rng(9), model)
    cols = world.columns(slates, rewards)
    truth = world.truth(model)
    logged = float(cols["reward"].sum() / 6000)
    assert abs(logged - truth) > 0.05  # the logging policy is clearly worse
    for kind in kinds:
        est = run(cols, kind, rng=3, n_resamples=400)
        assert est.ci_low <= truth <= est.ci_high, (kind, est.value, truth)
        assert est.value == pytest.approx(truth, abs=0.05)
        assert est.n == 6000
        assert est.ess_by_position.shape == (3,)
        assert est.ess == pytest.approx(float(est.ess_by_position.min()))
    if model == "cascade":  # IIPS is confidently wrong under a cascade
        iips = run(cols, "iips", rng=3, n_resamples=400)
        assert iips.ci_low > truth + 0.1
    else:
        iips, rips, whole = (
            run(cols, k, rng=3, n_resamples=400) for k in ("iips", "rips", "slate_ips")
        )
        # more weight factors, less effective data
        assert iips.ess_by_position[-1] > rips.ess_by_position[-1] > 0
        assert whole.ess <= rips.ess + 1e-9
        assert whole.ci_high - whole.ci_low > iips.ci_high - iips.ci_low


def test_slate_result_types_and_to_dict() -> None:
    est = slate_rips(["a", "a", "b"], [2, 1, 1], [1.0, 0.0, 1.0], [0.5] * 3, [1.0, 0.5, 0.5], rng=0)
    assert isinstance(est, SlateEstimate)
    assert isinstance(est, OffPolicyEstimate)
    # slate a: position 1 (w 1) then 2 (w 2): r = 0·1 + 1·2; slate b: 1·1 → (2 + 1) / 2
    assert est.value == 1.5
    d = est.to_dict()
    assert d["positions"] == [1, 2]
    assert d["by_position"] == [0.5, 1.0]
