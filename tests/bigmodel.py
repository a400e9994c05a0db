"""A seeded 36-claim, 80-item model (the size that broke figures in issue 18) → a model directory.

Layered like a real argument: assumptions under factors, factors under mechanisms, mechanisms and
factors under hypotheses and rivals, outcomes that depend on a hypothesis; labels of two to five
words; evidence spread over the claims, some items for and some against."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = ("regional", "security", "trade", "pressure", "alliance", "border", "naval", "domestic",
         "elite", "sanctions", "energy", "exports", "arms", "deterrence", "military", "exercises",
         "diplomatic", "support", "economic", "dependence", "technology", "transfer", "public",
         "opinion", "leadership", "rivalry", "nuclear", "parity", "maritime", "claims")

ROLES = (["assumption"] * 6 + ["factor"] * 18 + ["mechanism"] * 4 + ["hypothesis"] * 4
         + ["rival"] * 2 + ["outcome"] * 2)


def write_big_model(directory: Path, *, seed: int = 18, items: int = 80) -> Path:
    """Write models/big.yaml and evidence/big/items.yaml under ``directory``; the model's path."""
    rng = random.Random(seed)
    claims: list[tuple[str, str]] = [(f"c{k}", role) for k, role in enumerate(ROLES)]
    below = {"assumption": (), "factor": ("assumption",), "mechanism": ("factor", "assumption"),
             "hypothesis": ("mechanism", "factor"), "rival": ("mechanism", "factor"),
             "outcome": ("hypothesis",)}
    lines = ["argmap: 1", "title: A generated argument of 36 claims", "evidence: [../evidence/big/]",
             "scale: icd203", "claims:"]
    for cid, role in claims:
        label = " ".join(rng.sample(WORDS, rng.randint(2, 5))).capitalize()
        lines += [f"  {cid}:", f"    text: {label} matters for the question at hand.",
                  f"    label: {label}", f"    role: {role}"]
        pool = [c for c, r in claims if r in below[role]]
        parents = rng.sample(pool, min(len(pool), rng.randint(1, 3))) if pool else []
        if not parents:
            lines.append(f"    prior: {rng.choice([0.2, 0.35, 0.5, 0.65, 0.8])}")
            continue
        support = {p: rng.choice([0.3, 0.5, 0.7]) for p in parents[: max(1, len(parents) - 1)]}
        attack = {p: rng.choice([0.3, 0.5]) for p in parents if p not in support}
        lines.append("    supported_by: {" + ", ".join(f"{p}: {s}" for p, s in support.items()) + "}")
        if attack:
            lines.append("    attacked_by: {" + ", ".join(f"{p}: {s}" for p, s in attack.items()) + "}")
        lines.append("    leak: 0.1")
    evidence = []
    for k in range(items):
        target = rng.choice(claims)[0]
        high, low = rng.choice([(0.7, 0.3), (0.6, 0.4), (0.3, 0.6), (0.8, 0.2), (0.4, 0.7)])
        evidence += [f"- id: item_{k:02d}_report", f"  date: {2010 + k % 15}-{1 + k % 12:02d}",
                     f"  text: Report number {k}.", f"  bears_on: {target}",
                     f"  likelihood: {{true: {high}, false: {low}}}"]
    root = Path(directory)
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "evidence" / "big").mkdir(parents=True, exist_ok=True)
    (root / "evidence" / "big" / "items.yaml").write_text("\n".join(evidence) + "\n", encoding="utf-8")
    path = root / "models" / "big.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
