"""models/russia_china.yaml → the account posteriors, pairwise Bayes factors and PN(us_threat →
cooperation) quoted in docs/russia-china.md, worked by hand until `accounts:` and `argmap cause`
land (issue 15). Run from the repository root: python scripts/russia_china_by_hand.py [AS_OF]."""

from __future__ import annotations

import itertools
import math
import sys
import warnings

import argmap
from argmap.compile import compile_model
from argmap.infer import evidence_assignment

warnings.filterwarnings("ignore")
T = "true"

# the commented # ACCOUNTS block of models/russia_china.yaml
ACCOUNTS = {
    "paper": {"us_threat": T, "threat_channel": T, "cooperation": T, "russia_motive": "balance_us",
              "china_motive": "balance_us", "defence_alliance": "false"},
    "alignment": {"cooperation": T, "russia_motive": "strategic_alignment", "china_motive": "strategic_alignment"},
    "formal_alliance": {"cooperation": T, "defence_alliance": T},
    "commerce": {"cooperation": T, "russia_motive": "arms_revenue", "china_motive": "tech_and_trade"},
    "asymmetric": {"cooperation": T, "russia_motive": "balance_us", "china_motive": "tech_and_trade"},
    "momentum": {"prior_momentum": T, "threat_channel": "false", "cooperation": T},
}


def setup(as_of):
    from pgmpy.inference import VariableElimination

    model = argmap.load("models/russia_china.yaml")
    network = compile_model(model)
    beliefs = model.update(as_of=as_of) if as_of else model.update()
    items = [model.item(i) for i in beliefs.counted]
    evidence = {n: network.variables[n].states[s] for n, s in evidence_assignment(model, network, items).items()}
    return model, beliefs, evidence, VariableElimination(model.to_pgmpy())


def probability(engine, account, evidence):
    """P(account | evidence); an account variable fixed by the evidence must agree with it."""
    if any(k in evidence and evidence[k] != v for k, v in account.items()):
        return 0.0
    free = {k: v for k, v in account.items() if k not in evidence}
    if not free:
        return 1.0
    return engine.query(list(free), evidence=evidence, show_progress=False, joint=True).get_value(**free)


def accounts(engine, evidence):
    prior = {k: probability(engine, a, {}) for k, a in ACCOUNTS.items()}
    post = {k: probability(engine, a, evidence) for k, a in ACCOUNTS.items()}
    for k in ACCOUNTS:
        print(f"{k:16s} prior {prior[k]:.4f}  posterior {post[k]:.4f}")
    print("Bayes factor row vs column (posterior odds / prior odds), dB")
    print(" " * 16 + "".join(f"{k[:10]:>11s}" for k in ACCOUNTS))
    for a in ACCOUNTS:
        cells = [f"{'—':>11s}" if a == c else f"{10 * math.log10((post[a] / post[c]) / (prior[a] / prior[c])):11.1f}"
                 for c in ACCOUNTS]
        print(f"{a:16s}" + "".join(cells))


def pn(model, engine, evidence):
    """PN(us_threat → cooperation) = P(cooperation would be false under do(us_threat = false) |
    us_threat, cooperation, evidence), for the noisy-OR structural equations of the model
    (twin worlds: the noise terms of cooperation, sanctions, threat_channel and russian_caution
    are shared; their posterior follows from the factual parent values)."""
    coop = model.claims["cooperation"].distribution
    s = {k: p.value for k, p in coop.supporters.items()}
    leak, inhibit = coop.leak.value, coop.attackers["russian_caution"].value
    caution = model.claims["russian_caution"].distribution
    cs, c_leak = {k: p.value for k, p in caution.supporters.items()}, caution.leak.value
    c_att = caution.attackers["threat_channel"].value
    sanc = model.claims["sanctions"].distribution
    chan = model.claims["threat_channel"].distribution
    p_sanc_leak = sanc.leak.value / (1 - (1 - sanc.leak.value) * (1 - sanc.supporters["us_threat"].value))
    p_chan_leak = chan.leak.value / (1 - (1 - chan.leak.value) * (1 - chan.supporters["us_threat"].value))
    cond = dict(evidence, us_threat=T, cooperation=T)
    names = ["threat_channel", "sanctions", "russian_caution", *s, *cs]
    names = list(dict.fromkeys(n for n in names if n != "us_threat"))
    free = [n for n in names if n not in cond]
    joint = engine.query(free, evidence=cond, show_progress=False, joint=True)
    num = total = 0.0
    for combo in itertools.product([T, "false"], repeat=len(free)):
        w = joint.get_value(**dict(zip(free, combo)))
        if w < 1e-15:
            continue
        x = {n: (dict(zip(free, combo)) | cond)[n] == T for n in names}
        q = 1 - (1 - c_leak) * math.prod(1 - cs[k] * x[k] for k in cs)  # caution's supporters fire
        c = x["russian_caution"]
        p_fired = 1.0 if c else (c_att * q / (1 - c_att * q) if x["threat_channel"] else 0.0)
        for sc, ch, fired in itertools.product((1, 0), repeat=3):
            wt = w * ((p_sanc_leak if x["sanctions"] else 0.0) if sc else (1 - p_sanc_leak if x["sanctions"] else 1.0)) \
                * ((p_chan_leak if x["threat_channel"] else 0.0) if ch else (1 - p_chan_leak if x["threat_channel"] else 1.0)) \
                * (p_fired if fired else 1 - p_fired)
            if wt == 0:
                continue
            caution_cf = bool(fired) and not (ch and not c)
            active_cf = {k: x[k] for k in s} | {"sanctions": bool(sc), "threat_channel": bool(ch)}
            z = y0 = 0.0
            for fl in (0, 1):
                for fs in itertools.product((0, 1), repeat=len(s)):
                    f = dict(zip(s, fs))
                    pr = (leak if fl else 1 - leak) * math.prod(s[k] if f[k] else 1 - s[k] for k in s)
                    if not (fl or any(x[k] and f[k] for k in s)):
                        continue
                    z += pr
                    cf = fl or any(active_cf[k] and f[k] for k in s)
                    fresh = inhibit if (caution_cf and not c) else 0.0  # factual Y=1 rules out a fired inhibitor when c
                    y0 += pr * (1 - ((1 - fresh) if cf else 0.0))
            num += wt * y0 / z
            total += wt
    return num / total


def pn_monte_carlo(model, beliefs, draws=400_000, seed=1):
    """An independent check of pn(): likelihood weighting over the whole compiled network, with
    explicit noise bits for the noisy-OR claims on the path and a counterfactual pass under
    do(us_threat = false) that shares all noise. Returns (PN, effective sample size)."""
    import numpy as np

    from argmap.model import NoisyOr

    rng = np.random.default_rng(seed)
    net = compile_model(model)
    V = net.variables
    ev = evidence_assignment(model, net, [model.item(i) for i in beliefs.counted])  # node → state index
    order, seen = [], set()

    def visit(n):
        if n not in seen:
            for p in V[n].parents:
                visit(p)
            seen.add(n)
            order.append(n)

    for n in V:
        visit(n)
    noisy = {c: model.claims[c].distribution for c in ("sanctions", "threat_channel", "russian_caution", "cooperation")}
    assert all(isinstance(d, NoisyOr) for d in noisy.values())
    uniform = {n: rng.random(draws) for n in order}
    bits = {c: {**{p: rng.random(draws) < d.supporters[p].value for p in d.supporters},
                **{("att", p): rng.random(draws) < d.attackers[p].value for p in d.attackers},
                "leak": rng.random(draws) < d.leak.value} for c, d in noisy.items()}

    def run(counterfactual):
        val, w = {}, np.ones(draws)
        for n in order:
            var = V[n]
            true = var.states.index(T) if T in var.states else None
            if n == "us_threat" and counterfactual:
                val[n] = np.full(draws, var.states.index("false"))
            elif n in noisy:
                d, b = noisy[n], bits[n]
                fire = b["leak"].copy()
                for p in d.supporters:
                    fire |= (val[p] == V[p].states.index(T)) & b[p]
                inhibited = np.zeros(draws, bool)
                for p in d.attackers:
                    inhibited |= (val[p] == V[p].states.index(T)) & b[("att", p)]
                val[n] = np.where(fire & ~inhibited, true, 1 - true)
                if n in ev and not counterfactual:
                    w = w * (val[n] == ev[n])
            else:
                cpt = np.asarray(var.cpt)
                probs = cpt[tuple(val[p] for p in var.parents)] if var.parents else np.broadcast_to(cpt, (draws, len(var.states)))
                if n in ev:  # evidence keeps its factual value; it is not on the path to cooperation
                    if not counterfactual:
                        w = w * probs[:, ev[n]]
                    val[n] = np.full(draws, ev[n])
                else:
                    val[n] = np.minimum((uniform[n][:, None] > np.cumsum(probs, axis=1)).sum(axis=1), len(var.states) - 1)
        return val, w

    fact, w = run(False)
    cf, _ = run(True)
    is_true = lambda world, n: world[n] == V[n].states.index(T)
    sel = w * (is_true(fact, "us_threat") & is_true(fact, "cooperation"))
    return (sel * ~is_true(cf, "cooperation")).sum() / sel.sum(), sel.sum() ** 2 / (sel ** 2).sum()


if __name__ == "__main__":
    as_of = sys.argv[1] if len(sys.argv) > 1 else None
    model, beliefs, evidence, engine = setup(as_of)
    print(f"as of {as_of or 'all evidence'}: {len(beliefs.counted)} items counted")
    accounts(engine, evidence)
    print(f"PN(us_threat -> cooperation) = {pn(model, engine, evidence):.3f} (enumeration)")
    value, ess = pn_monte_carlo(model, beliefs)
    print(f"PN(us_threat -> cooperation) = {value:.3f} (Monte Carlo check, effective sample {ess:.0f})")
