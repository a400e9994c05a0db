"""Hypothesis strategies for random, valid argmap cases (model + evidence documents).

Documents are plain dicts; :func:`write_case` writes them as YAML so that tests go through the
same loader a user's files do."""

from __future__ import annotations

import os
from typing import Any

import yaml
from hypothesis import strategies as st

PROB = st.floats(min_value=0.02, max_value=0.98, allow_nan=False).map(lambda p: round(p, 4))
STATE_SETS = [("true", "false"), ("lo", "mid", "hi")]


@st.composite
def distributions(draw: st.DrawFn, states: tuple[str, ...]) -> Any:
    if states == ("true", "false") and draw(st.booleans()):
        return draw(PROB)
    weights = [draw(st.integers(1, 20)) for _ in states]
    total = sum(weights)
    probs = [w / total for w in weights]
    probs[-1] = 1.0 - sum(probs[:-1])
    return dict(zip(states, probs))


def _row_keys(parent_states: list[tuple[str, ...]]) -> list[str]:
    import itertools

    return [", ".join(row) for row in itertools.product(*parent_states)]


@st.composite
def cases(draw: st.DrawFn, *, max_claims: int = 5, max_items: int = 6, max_parents: int = 2) -> dict:
    """A random valid case: {"model": model document, "evidence": [item documents]}."""
    n = draw(st.integers(1, max_claims))
    claims: dict[str, dict] = {}
    states_of: dict[str, tuple[str, ...]] = {}
    for index in range(n):
        cid = f"c{index}"
        states = draw(st.sampled_from(STATE_SETS)) if draw(st.integers(0, 3)) == 0 else STATE_SETS[0]
        states_of[cid] = states
        earlier = list(claims)
        parents = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=min(max_parents, len(earlier)))) if earlier else []
        body: dict[str, Any] = {"text": f"Claim {index}", "role": draw(st.sampled_from(["hypothesis", "factor", "rival"]))}
        if states != STATE_SETS[0]:
            body["states"] = list(states)
        if not parents:
            body["prior"] = draw(distributions(states))
            if not isinstance(body["prior"], dict) and draw(st.booleans()):
                low = draw(PROB)
                body["prior"] = [low, round(min(0.99, low + draw(st.floats(0, 0.3))), 4)]
        elif states == STATE_SETS[0] and all(states_of[p] == STATE_SETS[0] for p in parents) and draw(st.booleans()):
            split = draw(st.integers(0, len(parents)))
            if parents[:split]:
                body["supported_by"] = {p: draw(PROB) for p in parents[:split]}
            if parents[split:]:
                body["attacked_by"] = {p: draw(PROB) for p in parents[split:]}
            if draw(st.booleans()):
                body["leak"] = draw(PROB)
        else:
            body["given"] = parents
            body["table"] = {k: draw(distributions(states)) for k in _row_keys([states_of[p] for p in parents])}
        claims[cid] = body
    sources = {}
    for index in range(draw(st.integers(0, 2))):
        sources[f"src{index}"] = {"text": f"Source {index}", "reliability": draw(st.one_of(PROB, st.sampled_from("ABCDEF")))}
        if draw(st.booleans()):
            sources[f"src{index}"]["random_yes"] = draw(PROB)
    items = []
    observed_claims: set[str] = set()
    for index in range(draw(st.integers(0, max_items))):
        item: dict[str, Any] = {"id": f"e{index}", "text": f"Item {index}"}
        if draw(st.booleans()):
            item["date"] = f"{draw(st.integers(2000, 2030))}-{draw(st.integers(1, 12)):02d}"
        kind = draw(st.sampled_from(["likelihood", "likelihood", "lr", "test", "table", "observe"]))
        target = draw(st.sampled_from(list(claims)))
        binary = states_of[target] == STATE_SETS[0]
        if kind == "observe":
            if target in observed_claims:
                continue
            observed_claims.add(target)
            item["observe"] = {target: draw(st.sampled_from(states_of[target]))}
            items.append(item)
            continue
        if kind == "lr" and binary:
            item["bears_on"] = target
            item["lr"] = draw(st.floats(0.05, 20).map(lambda x: round(x, 3)))
        elif kind == "test":
            item["bears_on"] = target
            item["test"] = draw(st.sampled_from(["hoop", "smoking_gun", "straw_in_the_wind", "doubly_decisive"]))
            if not binary:
                item["for"] = draw(st.sampled_from(states_of[target]))
        elif kind == "table":
            given = draw(st.lists(st.sampled_from(list(claims)), unique=True, min_size=1, max_size=2))
            item["given"] = given
            item["table"] = {k: draw(PROB) for k in _row_keys([states_of[p] for p in given])}
        else:
            item["bears_on"] = target
            item["likelihood"] = {s: draw(PROB) for s in states_of[target]}
        if "lr" not in item and draw(st.integers(0, 3)) == 0:
            item["observed"] = False
        if sources and draw(st.booleans()):
            item["source"] = draw(st.sampled_from(sorted(sources)))
        elif draw(st.integers(0, 2)) == 0:
            item["reliability"] = draw(PROB)
        items.append(item)
    model = {"argmap": 1, "title": "random case", "claims": claims, "evidence": ["../evidence/case/"]}
    if sources:
        model["sources"] = sources
    return {"model": model, "evidence": items}


def write_case(case: dict, root: str, *, files: int = 1) -> str:
    """Write a case under ``root`` (items spread over ``files`` files); return the model's path."""
    os.makedirs(os.path.join(root, "models"), exist_ok=True)
    folder = os.path.join(root, "evidence", "case")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(root, "models", "case.yaml")
    with open(path, "w", encoding="utf-8") as out:
        yaml.safe_dump(case["model"], out, sort_keys=False, allow_unicode=True)
    items = case["evidence"]
    for index in range(files):
        chunk = items[index::files]
        with open(os.path.join(folder, f"part{index}.yaml"), "w", encoding="utf-8") as out:
            yaml.safe_dump(chunk, out, sort_keys=False, allow_unicode=True)
    return path
