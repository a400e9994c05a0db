"""argmap cause (DESIGN §6, docs/causal.md): do(), PN and PS against an explicit twin network
written out here (every mechanism a variable) and enumerated by brute force; bounds against
the couplings a table allows; the hand-worked examples of docs/causal.md; errors; the CLI."""

from __future__ import annotations

import itertools
import json
import os
import tempfile

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from conftest import CASE_2025, enumerate_posteriors
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import argmap
from argmap.analysis.cause import causal_arrows, cause, simplex
from argmap.cli import main
from argmap.engine.compile import Network, Variable, network_of
from argmap.engine.infer import evidence_assignment
from argmap.errors import ArgmapError
from argmap.model import NoisyOr, Table
from argmap.testing import models

BIN = ("true", "false")


# ----------------------------------------------------------------------------- the reference twin


def _descendants(model, x):
    out, todo = set(), [x]
    while todo:
        c = todo.pop()
        for cid, claim in model.claims.items():
            if c in claim.parents and cid not in out:
                out.add(cid)
                todo.append(cid)
    return out


def reference_twin(model, x, coupling=None):
    """The twin network, built independently of argmap.analysis.cause: every claim of the factual
    world as compiled, except that each noisy-OR descendant of x is a deterministic function of
    its parents and of explicit mechanism variables (one per link, one for the leak); every
    descendant of x gets a counterfactual copy fed by ``do`` and by the same mechanisms. A table
    descendant is coupled through ``coupling[cid]`` = (cut points, state index per row per
    interval): one shared uniform, discretised. Returns the network and a name map."""
    base = network_of(model)
    down = _descendants(model, x)
    v: dict[str, Variable] = {}
    cf = {}
    mech: dict[str, list[str]] = {}
    for cid in down:  # mechanisms first (roots)
        d = model.claims[cid].distribution
        if isinstance(d, NoisyOr):
            names = []
            for kind, items in (("L", {"leak": d.leak}), ("W", d.supporters), ("B", d.attackers)):
                for p, prob in items.items():
                    n = f"{kind}:{p}:{cid}"
                    v[n] = Variable(n, BIN, (), np.array([prob.value, 1 - prob.value]), "claim")
                    names.append(n)
            mech[cid] = names
        elif isinstance(d, Table):
            cuts, _ = coupling[cid]
            n = f"U:{cid}"
            v[n] = Variable(n, tuple(str(i) for i in range(len(cuts) - 1)), (), np.diff(cuts), "claim")
            mech[cid] = [n]

    def det(cid, parents):
        """Deterministic CPT of claim cid from (its parents, its mechanisms)."""
        d = model.claims[cid].distribution
        claim = model.claims[cid]
        pcards = [len(model.claims[p].states) for p in claim.parents]
        if isinstance(d, NoisyOr):
            ns, na = len(d.supporters), len(d.attackers)
            cpt = np.zeros([2] * (len(pcards) + 1 + ns + na) + [2])
            for idx in itertools.product(*[range(2)] * (len(pcards) + 1 + ns + na)):
                act = [i == 0 for i in idx[:ns + na]]
                leak = idx[ns + na] == 0
                w = [i == 0 for i in idx[ns + na + 1: ns + na + 1 + ns]]
                b = [i == 0 for i in idx[ns + na + 1 + ns:]]
                fired = leak or any(a and ww for a, ww in zip(act[:ns], w))
                held = any(a and bb for a, bb in zip(act[ns:], b))
                cpt[idx + (0 if fired and not held else 1,)] = 1
            return Variable(cid, BIN, (*parents, *mech[cid]), cpt, "claim")
        cuts, choice = coupling[cid]
        cpt = np.zeros(pcards + [len(cuts) - 1, len(claim.states)])
        for idx in itertools.product(*[range(c) for c in pcards]):
            row = tuple(model.claims[p].states[i] for p, i in zip(claim.parents, idx))
            for u in range(len(cuts) - 1):
                cpt[idx + (u, choice[row][u])] = 1
        return Variable(cid, claim.states, (*parents, *mech[cid]), cpt, "claim")

    for name, var in base.variables.items():
        if name in down:
            d = det(name, model.claims[name].parents)
            v[name] = Variable(name, d.states, d.parents, d.cpt, "claim")
        else:
            v[name] = var
    states = model.claims[x].states
    v["DO"] = Variable("DO", states, (), np.full(len(states), 1 / len(states)), "claim")
    for name in base.variables:  # topological order
        if name in down:
            parents = tuple("DO" if p == x else f"CF:{p}" if p in down else p for p in model.claims[name].parents)
            d = det(name, parents)
            cf[name] = f"CF:{name}"
            v[cf[name]] = Variable(cf[name], d.states, d.parents, d.cpt, "claim")
    return v, cf


def not_state(variables, name, index, states):
    """An indicator child: observing its 'yes' state conditions on name ≠ states[index]."""
    cpt = np.zeros((len(states), 2))
    for j in range(len(states)):
        cpt[j] = [1, 0] if j != index else [0, 1]
    variables[f"NOT:{name}"] = Variable(f"NOT:{name}", ("yes", "no"), (name,), cpt, "claim")
    return f"NOT:{name}"


def brute(model, x, xs, y, ys, contrast, coupling=None):
    """do, PN and PS by enumerating the reference twin network (None where undefined)."""
    variables, cf = reference_twin(model, x, coupling)
    xst, yst = model.claims[x].states, model.claims[y].states
    ny = not_state(variables, y, yst.index(ys), yst)
    ncf = not_state(variables, cf[y], yst.index(ys), yst)
    net = Network(variables)
    if sum(np.log2(len(var.states)) for var in variables.values()) > 20:
        assume(False)  # beyond what a brute force enumerates quickly
    evidence = evidence_assignment(model, network_of(model), [i for i in model.evidence if i.counts_at(None)])
    xi, yi, ci = xst.index(xs), yst.index(ys), xst.index(contrast)

    def query(extra, target, index):
        fixed = dict(evidence)
        for k, val in extra.items():
            if fixed.get(k, val) != val:
                return None
            fixed[k] = val
        try:
            marg = enumerate_posteriors(net, fixed)
        except FloatingPointError:
            return None
        m = marg[target]
        return None if np.isnan(m).any() else float(m[index])

    with np.errstate(invalid="ignore", divide="ignore"):
        do = {s: query({"DO": i}, cf[y], yi) for i, s in enumerate(xst)}
        pn = query({x: xi, y: yi, "DO": ci}, ncf, 0)
        ps = query({x: ci, ny: 0, "DO": xi}, cf[y], yi)
    return do, pn, ps


_DIR = tempfile.mkdtemp(prefix="argmap-cause-")
_COUNT = itertools.count()
_P = st.integers(5, 95).map(lambda k: k / 100)


@st.composite
def noisy_or_models(draw, tables: bool = False):
    """Random models whose claims below the roots are all noisy-OR (supporters and attackers),
    with evidence: likelihoods, per-item reliability, shared sources, absent items and hard
    evidence — written as files and read with argmap.load."""
    n_roots = draw(st.integers(1, 3))
    n = n_roots + draw(st.integers(1, 3))
    claims = {}
    for i in range(n):
        cid = f"c{i}"
        if i < n_roots:
            claims[cid] = {"text": cid, "prior": draw(_P)}
            continue
        parents = draw(st.lists(st.sampled_from([f"c{j}" for j in range(i)]), min_size=1, max_size=min(3, i), unique=True))
        if tables and draw(st.booleans()):  # a true/false table claim: its coupling is not defined
            parents = parents[:2]
            rows = {", ".join(r): draw(_P) for r in itertools.product(("true", "false"), repeat=len(parents))}
            claims[cid] = {"text": cid, "given": parents, "table": rows}
            continue
        signs = [draw(st.booleans()) or k == 0 for k in range(len(parents))]
        body = {"text": cid, "leak": draw(_P)}
        sup = {p: draw(_P) for p, s in zip(parents, signs) if s}
        att = {p: draw(_P) for p, s in zip(parents, signs) if not s}
        body["supported_by"] = sup
        if att:
            body["attacked_by"] = att
        claims[cid] = body
    sources = {f"s{k}": {"text": "a source", "reliability": draw(_P), "random_yes": draw(_P)}
               for k in range(draw(st.integers(0, 2)))}
    items = []
    observed = set()
    for k in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(sorted(claims)))
        if draw(st.integers(0, 5)) == 0 and target not in observed:
            observed.add(target)
            items.append({"id": f"e{k}", "text": "seen", "observe": {target: draw(st.sampled_from(["true", "false"]))}})
            continue
        item = {"id": f"e{k}", "text": "an item", "bears_on": target,
                "likelihood": {"true": draw(_P), "false": draw(_P)}, "observed": draw(st.booleans())}
        how = draw(st.integers(0, 2))
        if how == 1 and sources:
            item["source"] = draw(st.sampled_from(sorted(sources)))
        elif how == 2:
            item["reliability"] = draw(_P)
        items.append(item)
    folder = os.path.join(_DIR, f"case{next(_COUNT)}")
    os.makedirs(os.path.join(folder, "evidence"))
    doc = {"argmap": 1, "title": "random", "evidence": ["evidence/"], "claims": claims}
    if sources:
        doc["sources"] = sources
    with open(os.path.join(folder, "m.yaml"), "w") as f:
        yaml.safe_dump(doc, f)
    with open(os.path.join(folder, "evidence", "items.yaml"), "w") as f:
        yaml.safe_dump(items or [], f)
    return argmap.load(os.path.join(folder, "m.yaml"))


def _pairs(model, exact):
    """(cause, effect) pairs with a path; exact: no table claim among the cause's descendants."""
    out = []
    for x in model.claims:
        down = _descendants(model, x)
        if exact and any(isinstance(model.claims[c].distribution, Table) for c in down):
            continue
        out.extend((x, y) for y in down)
    return out


def _close(a, b, tol=1e-7):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


def _small(model):
    base = network_of(model)
    return sum(np.log2(len(v.states)) for v in base.variables.values()) <= 12


@settings(max_examples=60)
@given(model=noisy_or_models(), data=st.data())
def test_do_pn_ps_agree_with_brute_force_on_the_explicit_twin_network(model, data):
    pairs = _pairs(model, exact=True)
    assume(pairs)
    x, y = data.draw(st.sampled_from(pairs))
    xs = data.draw(st.sampled_from(model.claims[x].states))
    ys = data.draw(st.sampled_from(model.claims[y].states))
    contrast = data.draw(st.sampled_from([s for s in model.claims[x].states if s != xs]))
    r = cause(model, f"{x}={xs}", f"{y}={ys}", contrast=contrast)
    assert r.exact
    do, pn, ps = brute(model, x, xs, y, ys, contrast)
    for s in do:
        assert _close(r.do[s], do[s]), (s, r.do[s], do[s])
    assert _close(r.necessity, pn), (r.necessity, pn)
    assert _close(r.sufficiency, ps), (r.sufficiency, ps)
    assert r.bounds["necessity"] is None or r.bounds["necessity"][0] == r.necessity


def _coupling_from_orders(model, cid, orders):
    """A coupling of a table claim: one uniform, each row's state the quantile of the row's
    distribution under that row's own order of the states."""
    d = model.claims[cid].distribution
    states = model.claims[cid].states
    cums = {}
    for row, dist in d.rows.items():
        order = orders[row]
        cums[row] = (order, np.cumsum([dist[states[k]].value for k in order]))
    cuts = sorted({0.0, 1.0, *(float(c) for _, cum in cums.values() for c in cum[:-1])})
    choice = {}
    for row, (order, cum) in cums.items():
        picks = []
        for lo, hi in itertools.pairwise(cuts):
            u = (lo + hi) / 2
            picks.append(order[min(int(np.searchsorted(cum, u, side="right")), len(order) - 1)])
        choice[row] = picks
    return np.array(cuts), choice


def _bounded(model, x, y):
    try:
        return cause(model, x, y, sensitivity=False)
    except ArgmapError as exc:
        assume("response functions" not in str(exc.problems[0].message))  # too many to bound: refused
        raise


def _table_pairs(model):
    """(cause, effect) pairs whose path holds tables, and where every table descendant of the
    cause is within reach of the brute force."""
    out = []
    for x in model.claims:
        down = _descendants(model, x)
        if any(isinstance(model.claims[c].distribution, Table) for c in down):
            out.extend((x, y) for y in down)
    return out


@settings(max_examples=30)
@given(model=models(min_claims=2, max_claims=4, max_parents=2, max_states=3, max_items=3, max_sources=1),
       data=st.data())
def test_bounds_contain_every_coupling_drawn(model, data):
    _check_bounds_contain(model, data)


@settings(max_examples=30)
@given(model=noisy_or_models(tables=True), data=st.data())
def test_bounds_contain_every_coupling_drawn_with_noisy_or_and_several_tables(model, data):
    _check_bounds_contain(model, data)


def _check_bounds_contain(model, data):
    pairs = _table_pairs(model)
    assume(pairs and _small(model))
    x, y = data.draw(st.sampled_from(pairs))
    r = _bounded(model, x, y)
    xs, ys = r.cause_state, r.effect_state
    tables = [c for c in _descendants(model, x) if isinstance(model.claims[c].distribution, Table)]
    for _ in range(3):
        coupling = {}
        for cid in tables:
            states = model.claims[cid].states
            rows = model.claims[cid].distribution.rows
            orders = {row: data.draw(st.permutations(range(len(states)))) for row in rows}
            coupling[cid] = _coupling_from_orders(model, cid, orders)
        do, pn, ps = brute(model, x, xs, y, ys, r.contrast, coupling)
        for s, value in do.items():
            lo, hi = r.do_bounds[s]
            assert lo - 1e-7 <= value <= hi + 1e-7, (s, value, lo, hi)
        for value, name in ((pn, "necessity"), (ps, "sufficiency")):
            bounds = r.bounds[name]
            if value is None or bounds is None:
                assert value is None and bounds is None, (name, value, bounds)
                continue
            assert bounds[0] - 1e-7 <= value <= bounds[1] + 1e-7, (name, value, bounds)


@settings(max_examples=30)
@given(model=noisy_or_models(tables=True), data=st.data())
def test_bounds_are_attained_by_a_coupling(model, data):
    """One binary table on the path with one binary path parent: every vertex of its couplings
    is, per row, the comonotone or the countermonotone quantile coupling — all of them drawn."""
    candidates = []
    for x, y in _table_pairs(model):
        tables = [c for c in _descendants(model, x) if isinstance(model.claims[c].distribution, Table)]
        if len(tables) == 1 and model.claims[tables[0]].is_binary and model.claims[x].is_binary:
            t = tables[0]
            on = [p for p in model.claims[t].parents if p == x or p in _descendants(model, x)]
            if len(on) == 1 and model.claims[on[0]].is_binary and len(model.claims[t].distribution.rows) <= 8:
                candidates.append((x, y, t))
    assume(candidates)
    x, y, t = data.draw(st.sampled_from(candidates))
    r = _bounded(model, x, y)
    rows = list(model.claims[t].distribution.rows)
    values = {"necessity": [], "sufficiency": []}
    for flips in itertools.product((0, 1), repeat=len(rows)):
        orders = {row: (1, 0) if f else (0, 1) for row, f in zip(rows, flips)}
        _, pn, ps = brute(model, x, r.cause_state, y, r.effect_state, r.contrast,
                          {t: _coupling_from_orders(model, t, orders)})
        values["necessity"].append(pn)
        values["sufficiency"].append(ps)
    for name, found in values.items():
        bounds = r.bounds[name]
        if bounds is None:
            continue
        assert min(found) == pytest.approx(bounds[0], abs=1e-7)
        assert max(found) == pytest.approx(bounds[1], abs=1e-7)


def test_the_simplex_agrees_with_highs():
    from scipy.optimize import linprog

    rng = np.random.default_rng(1)
    for _ in range(40):
        n, m = rng.integers(3, 12), rng.integers(1, 5)
        a = rng.uniform(0, 1, (m, n))
        x0 = rng.uniform(0, 1, n)
        b = a @ x0
        a = np.vstack([a, a[:1]])  # a redundant row
        b = np.append(b, b[:1])
        c = rng.normal(size=n)
        a = np.vstack([a, np.ones(n)])
        b = np.append(b, x0.sum())  # bounded
        ours = simplex(c, a, b)
        theirs = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        assert ours is not None and theirs.status == 0
        assert ours[0] == pytest.approx(theirs.fun, abs=1e-8)
        assert np.allclose(a @ ours[1], b, atol=1e-8) and (ours[1] >= -1e-12).all()
    assert simplex(np.ones(2), np.array([[1.0, 1.0]]), np.array([-1.0])) is None


# ----------------------------------------------------------------------------- hand-worked examples

INHIBITOR = """argmap: 1
title: An inhibitor shared by both worlds
evidence: []
claims:
  x: {text: the cause, prior: 0.6}
  b: {text: the inhibitor, prior: 0.3}
  y:
    text: the effect
    supported_by: {x: 0.8}
    attacked_by: {b: 0.5}
    leak: 0.1
"""

BOUND = """argmap: 1
title: Only a bound
evidence: []
claims:
  x: {text: the cause, prior: 0.5}
  y:
    text: the effect
    given: [x]
    table: {"true": 0.4, "false": 0.1}
"""


def _write(tmp_path, text, name="m.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return argmap.load(str(path))


def test_hand_worked_inhibitor_example(tmp_path):
    """docs/causal.md, example 1."""
    r = cause(_write(tmp_path, INHIBITOR), "x", "y")
    assert r.exact
    assert r.do["true"] == pytest.approx(0.82 * 0.85)
    assert r.do["false"] == pytest.approx(0.1 * 0.85)
    assert r.necessity == pytest.approx(0.72 / 0.82)
    assert r.sufficiency == pytest.approx(0.612 / 0.915)


def test_hand_worked_bound_example(tmp_path):
    """docs/causal.md, example 2: Tian & Pearl's bounds for an exogenous cause."""
    r = cause(_write(tmp_path, BOUND), "x", "y")
    assert not r.exact and r.necessity is None and r.sufficiency is None
    assert r.bounds["necessity"] == pytest.approx((0.75, 1.0))
    assert r.bounds["sufficiency"] == pytest.approx((1 / 3, 4 / 9))
    assert r.do["true"] == pytest.approx(0.4) and r.do["false"] == pytest.approx(0.1)  # no evidence: exact
    assert any("coupling" in w for w in r.warnings)
    opted = cause(_write(tmp_path, BOUND.replace("given: [x]", "given: [x]\n    coupling: comonotone")), "x", "y")
    assert opted.exact
    assert opted.necessity == pytest.approx(0.75) and opted.sufficiency == pytest.approx(1 / 3)


def test_a_coupling_key_belongs_with_a_table(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(INHIBITOR.replace("leak: 0.1", "leak: 0.1\n    coupling: comonotone"))
    with pytest.raises(ArgmapError, match="'coupling' belongs with given \\+ table"):
        argmap.load(str(path))
    path.write_text(BOUND.replace("given: [x]", "given: [x]\n    coupling: maybe"))
    with pytest.raises(ArgmapError, match="unknown coupling 'maybe'"):
        argmap.load(str(path))


# ----------------------------------------------------------------------------- the shipped case


def test_shipped_case_us_threat_and_cooperation():
    model = argmap.load(CASE_2025)
    r = cause(model, "us_threat", "cooperation")
    assert r.exact and r.path == ("sanctions", "russian_caution", "cooperation")
    assert 0 < r.do["false"] < r.do["true"] < 1
    assert 0 < r.necessity < 1 and 0 < r.sufficiency < 1
    assert any("the evidence does not test this link" in w for w in r.warnings)
    data = r.to_dict()
    for key in ("cause", "cause_state", "effect", "effect_state", "do", "necessity", "sufficiency", "exact", "bounds"):
        assert key in data
    assert data["bounds"]["necessity"] == [r.necessity, r.necessity]
    json.dumps(data)


def test_the_reports_causal_section_covers_every_causal_arrow():
    # its cost is measured in benchmarks/bench_commands.py, not asserted here
    from argmap.output.report.numbers import _causal

    model = argmap.load(CASE_2025)
    model.update()
    rows = _causal(model, None)
    assert {(r.cause, r.effect) for r in rows} == set(causal_arrows(model))
    assert any(not r.exact for r in rows) and any(r.exact for r in rows)


# ----------------------------------------------------------------------------- errors and the CLI


@pytest.mark.parametrize("args,message", [
    (["--cause", "us_thret", "--effect", "cooperation"], "did you mean 'us_threat'"),
    (["--cause", "us_threat", "--effect", "cooperation=maybe"], "'maybe' is not a state of 'cooperation'"),
    (["--cause", "us_threat", "--effect", "us_threat"], "both the cause and the effect"),
    (["--cause", "cooperation", "--effect", "us_threat"], "is not an ancestor of 'us_threat'"),
    (["--cause", "us_threat", "--effect", "cooperation", "--contrast", "true"], "not another state"),
])
def test_bad_questions_exit_2_with_the_reason(args, message):
    result = CliRunner().invoke(main, ["cause", CASE_2025, *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_table_and_json():
    runner = CliRunner()
    table = runner.invoke(main, ["cause", CASE_2025, "--cause", "us_threat", "--effect", "cooperation"])
    assert table.exit_code == 0, table.output
    assert "PN necessity" in table.output and "do(us_threat = false)" in table.output
    out = runner.invoke(main, ["cause", CASE_2025, "--cause", "us_threat", "--effect", "driver",
                               "--format", "json", "--as-of", "2016"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["exact"] is False and data["necessity"] is None
    lo, hi = data["bounds"]["necessity"]
    assert 0 <= lo <= hi <= 1 and data["as_of"] == "2016"
    assert data["effect_state"] in ("threat_balancing", "strategic_alliance", "commercial_opportunism")


def test_causal_claims_key_chooses_the_reports_questions(tmp_path):
    from argmap.output.report.numbers import _causal  # the section alone

    text = INHIBITOR.replace("evidence: []", "evidence: []\ncausal_claims: [{cause: x, effect: y=false}, {cause: b, effect: y}]")
    rows = _causal(_write(tmp_path, text), None)
    assert [(r.cause, r.effect, r.effect_state) for r in rows] == [("x", "y", "false"), ("b", "y", "true")]
    with pytest.raises(ArgmapError, match="causal_claims: unknown claim 'z'"):
        _write(tmp_path, INHIBITOR.replace("evidence: []", "evidence: []\ncausal_claims: [{cause: z, effect: y}]"))
    with pytest.raises(ArgmapError, match="'causal_claims' is a list of"):
        _write(tmp_path, INHIBITOR.replace("evidence: []", "evidence: []\ncausal_claims: {x: y}"))


def test_multi_state_cause_reports_every_contrast(tmp_path):
    model = _write(tmp_path, """argmap: 1
evidence: []
claims:
  x: {text: cause, states: [a, b, c], prior: {a: 0.5, b: 0.3, c: 0.2}}
  m:
    text: mid
    given: [x]
    table: {"a": 0.9, "b": 0.5, "c": 0.1}
    coupling: comonotone
  y: {text: effect, supported_by: {m: 0.7}, leak: 0.1}
""")
    r = cause(model, "x=a", "y")
    assert set(r.contrasts) == {"b", "c"} and r.contrast == "b" and r.exact
    assert cause(model, "x=a", "y", contrast="c").necessity == r.contrasts["c"]["necessity"]
    os.environ.get("X")  # nothing else to clean
