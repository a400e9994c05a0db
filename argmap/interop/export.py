"""A model + its beliefs → files other tools read: Argdown, AIF JSON, BIF, XMLBIF and JSON.

Each format says what it can: Argdown and AIF carry the argument (claims, support and attack,
evidence as arguments) with argmap's numbers as metadata; BIF and XMLBIF carry the Bayesian
network itself, with the evidence that counts written beside it; JSON carries everything. The
plain-data form of a model (:func:`model_document`, :func:`item_document`) is the inverse of
:mod:`argmap.loader.reader`: loading it gives back the same claims, numbers and evidence.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from argmap.errors import ArgmapError, Location
from argmap.loader.reader import DEFAULT_UNCERTAINTY
from argmap.model import (
    EvidenceItem,
    Likelihood,
    Model,
    NoisyOr,
    Observation,
    PriorDist,
    Prob,
    Source,
    Table,
    VanEveraTest,
)
from argmap.analysis.relations import ATTACK, INFLUENCE, SUPPORT, claim_relations

if TYPE_CHECKING:  # pragma: no cover
    from argmap.engine.infer import Beliefs

__all__ = [
    "EXPORT_FORMATS",
    "Export",
    "argdown_titles",
    "export",
    "item_document",
    "model_document",
]

EXPORT_FORMATS = ("argdown", "aif", "bif", "xmlbif", "json")
JSON_FORMAT_VERSION = 1


@attrs.frozen
class Export:
    """The exported file, and files that go beside it (suffix → bytes), e.g. the evidence of a
    BIF export in ``.evidence.json``."""

    data: bytes
    beside: Mapping[str, bytes] = attrs.field(factory=dict)


def export(model: Model, to: str, *, as_of: Any = None, output: str | None = None) -> Export:
    """``model`` (with its posteriors at ``as_of``) in format ``to``. ``output``, the path the
    file will be written to, lets relative paths inside it (the bibliography) point right."""
    if to not in EXPORT_FORMATS:
        from argmap.errors import did_you_mean

        close = did_you_mean(to, EXPORT_FORMATS)
        raise ArgmapError.at(Location("--to"), f"unknown format '{to}'"
                             + (close if close.startswith("; did") else "")
                             + f"; write one of {', '.join(EXPORT_FORMATS)}")
    beliefs = model.update(as_of=as_of)
    if to == "argdown":
        return Export(to_argdown(beliefs, output=output).encode("utf-8"))
    if to == "aif":
        return Export(_json_bytes(to_aif(beliefs)))
    if to == "json":
        return Export(_json_bytes(to_json(beliefs)))
    return to_bif(beliefs, xml=to == "xmlbif")


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


# ----------------------------------------------------------------------------- plain data


def prob_value(p: Prob) -> Any:
    """A probability as a model file would say it: the word, letter or range as written, else
    the exact number (never a rounded text)."""
    written = p.written.strip()
    if p.is_point:
        if re.fullmatch(r"[A-F]", written) or written.endswith("%"):
            return written
        try:
            float(written)
        except ValueError:
            if written and not written.startswith(("1 −", "[")):
                return written  # a word of the verbal scale: a point only in the IPCC corner cases
        return p.value if p.low == p.high else [p.low, p.high]
    if written and not written.startswith(("[", "1 −")):
        return written  # a verbal word stands for its range
    return [p.low, p.high]


def _distribution_value(probs: Mapping[str, Prob], states: tuple[str, ...]) -> Any:
    """P(first state) for a two-state claim (the second is its complement), else a mapping."""
    if len(states) == 2:
        return prob_value(probs[states[0]])
    return {s: prob_value(probs[s]) for s in states}


def _table_document(table: Table, states: tuple[str, ...]) -> dict[str, Any]:
    rows = {", ".join(row): _distribution_value(probs, states) for row, probs in table.rows.items()}
    document: dict[str, Any] = {"given": list(table.parents), "table": rows}
    if table.supports:
        document["supports"] = list(table.supports)
    if table.attacks:
        document["attacks"] = list(table.attacks)
    return document


def model_document(model: Model, *, bibliography: str | None = None,
                   evidence: list[str] | None = None) -> dict[str, Any]:
    """The model file's content as plain data (YAML- and JSON-ready), claims in model order.

    ``bibliography`` and ``evidence`` replace the paths, which are relative to where the file
    will live."""
    document: dict[str, Any] = {"argmap": 1}
    for key in ("title", "question", "hypothesis", "theory"):
        if getattr(model, key):
            document[key] = getattr(model, key)
    if model.authors:
        document["authors"] = list(model.authors)
    if bibliography:
        document["bibliography"] = bibliography
    if evidence is not None:
        document["evidence"] = evidence
    document["scale"] = model.scale
    if model.uncertainty != DEFAULT_UNCERTAINTY:
        document["uncertainty"] = model.uncertainty
    if model.sources:
        document["sources"] = {sid: _source_document(s) for sid, s in model.sources.items()}
    document["claims"] = {cid: claim_document(model, cid) for cid in model.claims}
    return document


def _source_document(source: Source) -> dict[str, Any]:
    return {"text": source.text, "reliability": prob_value(source.reliability),
            "random_yes": prob_value(source.random_yes)}


def claim_document(model: Model, cid: str) -> dict[str, Any]:
    claim = model.claims[cid]
    document: dict[str, Any] = {"text": claim.text}
    if claim.label:
        document["label"] = claim.label
    document["role"] = claim.role
    if not claim.is_binary:
        document["states"] = list(claim.states)
    d = claim.distribution
    if isinstance(d, PriorDist):
        document["prior"] = _distribution_value(d.probs, claim.states)
    elif isinstance(d, NoisyOr):
        if d.supporters:
            document["supported_by"] = {p: prob_value(s) for p, s in d.supporters.items()}
        if d.attackers:
            document["attacked_by"] = {p: prob_value(s) for p, s in d.attackers.items()}
        document["leak"] = prob_value(d.leak)
    else:
        document.update(_table_document(d, claim.states))
    return document


def item_document(item: EvidenceItem) -> dict[str, Any]:
    """An evidence item as an evidence file would write it."""
    document: dict[str, Any] = {"id": item.id}
    if item.date:
        document["date"] = str(item.date)
    if item.text:
        document["text"] = item.text
    if item.cite:
        document["cite"] = list(item.cite) if len(item.cite) > 1 else item.cite[0]
    for key in ("url", "quote", "page", "source"):
        if getattr(item, key) is not None:
            document[key] = getattr(item, key)
    if item.reliability is not None:
        document["reliability"] = prob_value(item.reliability)
    b = item.bearing
    if isinstance(b, Observation):
        document["observe"] = dict(b.states)
    elif isinstance(b, Likelihood):
        document["bears_on"] = b.target
        document["likelihood"] = {s: prob_value(p) for s, p in b.probs.items()}
    elif isinstance(b, VanEveraTest):
        document["bears_on"] = b.target
        document["test"] = b.test
        if b.for_state != "true":
            document["for"] = b.for_state
    else:
        document.update(_table_document(b, ("true", "false")))
    if not item.observed:
        document["observed"] = False
    if item.expected:
        document["expected"] = True
    return document


# ----------------------------------------------------------------------------- JSON


def to_json(beliefs: Beliefs) -> dict[str, Any]:
    """Everything: the model as plain data, the posteriors (``update --format json``), the map's
    relations and each counted item's weight in dB (see docs/exports.md for the schema)."""
    from argmap.analysis.relations import effects_by_target, evidence_effect

    model = beliefs.model
    from argmap.engine.compile import network_of

    network = network_of(model)
    counted = [model.item(i) for i in beliefs.counted]
    weights = []
    for item in counted:
        if item.is_observation:
            continue
        for target in item.targets:
            effect = evidence_effect(model, [item], target, network)
            weights.append({"item": item.id, "target": target, "decibels": _finite(effect.decibels)})
    groups = [{"target": target, "items": [i.id for i in items], "decibels": _finite(effect.decibels)}
              for target, (items, effect) in effects_by_target(model, counted, network).items()]
    return {
        "argmap_export": JSON_FORMAT_VERSION,
        "model": {"id": model.name, "path": model.path, **model_document(model, bibliography=model.bibliography)},
        "evidence": [item_document(i) for i in model.evidence],
        "results": beliefs.to_dict(),
        "relations": [{"from": r.source, "to": r.target, "kind": r.kind,
                       "strength": None if r.strength is None else r.strength.value}
                      for r in claim_relations(model)],
        "weights": weights,
        "groups": groups,
    }


def _finite(values: Mapping[str, float]) -> dict[str, float | str]:
    """JSON has no infinity: ±∞ and NaN become the strings "inf", "-inf", "nan"."""
    return {k: v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
            for k, v in values.items()}


# ----------------------------------------------------------------------------- Argdown

_ARGDOWN_ALWAYS = set("\\[]<>{}#@*_/`")


def argdown_text(text: str) -> str:
    """User text as Argdown statement text that the Argdown parser reads back verbatim (on one
    line): its markup characters escaped with a backslash; '.' and ':' only where they could
    open a shortcode such as :smile: or .x. (that is, before a non-space)."""
    out = []
    for index, char in enumerate(text):
        following = text[index + 1] if index + 1 < len(text) else " "
        if char in _ARGDOWN_ALWAYS or (char in ".:" and not following.isspace()):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _argdown_text_survives(text: str) -> bool:
    """Whether the statement text alone gives back ``text`` (one line, no edge spaces)."""
    return "\n" not in text and "\r" not in text and text == text.strip() and text != ""


def argdown_titles(model: Model) -> dict[str, str]:
    """The statement title of each claim: its label where that is a usable Argdown title
    (unique, one line, no brackets or braces), else its id."""
    titles: dict[str, str] = {}
    used = set(model.claims) | {i.id for i in model.evidence}
    for cid, claim in model.claims.items():
        label = " ".join(claim.label.split())
        ok = (label and not re.search(r"[\[\]<>{}\\@#*_/`]", label) and not label.startswith(("-", "+"))
              and label not in used and label.lower() not in {t.lower() for t in titles.values()})
        titles[cid] = label if ok else cid
        used.add(titles[cid])
    return titles


def _metadata(data: Mapping[str, Any]) -> str:
    """A ``{...}`` metadata block: JSON (which is YAML's flow style), with braces inside strings
    written as \\u escapes so that they cannot end the block early."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
    inner = text[1:-1]
    inner = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: m.group(0).replace("{", "\\u007b").replace("}", "\\u007d"), inner)
    return "{" + inner + "}"


def to_argdown(beliefs: Beliefs, *, output: str | None = None) -> str:
    """Claims as statements, claim relations as ``<+``/``<-``, evidence items as arguments
    ``+>``/``->`` their targets; argmap's numbers and citations in ``{...}`` metadata, enough
    for ``argmap import`` to rebuild the model."""
    from argmap.engine.compile import network_of
    from argmap.analysis.relations import evidence_effect

    model = beliefs.model
    titles = argdown_titles(model)
    front: dict[str, Any] = {"title": model.title or model.name}
    model_meta = {k: v for k, v in model_document(model, bibliography=_relative(model.bibliography, output)).items()
                  if k not in ("claims", "argmap")}
    front["argmap"] = {"model": model.name, "as_of": str(beliefs.as_of) if beliefs.as_of else None, **model_meta}
    lines = ["===", *json.dumps(front, ensure_ascii=False, indent=2).splitlines(), "===", ""]
    lines.append("// Written by argmap (argmap export --to argdown). Statements are claims; <+ and <- are")
    lines.append("// support and attack; arguments are evidence items. Numbers are in {...}.")
    lines.append("")
    relations_into: dict[str, list] = {}
    for r in claim_relations(model):
        if r.kind != INFLUENCE:
            relations_into.setdefault(r.target, []).append(r)
    for cid, claim in model.claims.items():
        belief = beliefs[cid]
        meta: dict[str, Any] = {"id": cid, **claim_document(model, cid)}
        meta.pop("text")
        if not _argdown_text_survives(claim.text):
            meta["text"] = claim.text
        meta["prior_p"] = _rounded(belief.prior) if not belief.is_binary else round(belief.prior["true"], 6)
        meta["posterior_p"] = _rounded(belief.posterior) if not belief.is_binary else round(belief.posterior["true"], 6)
        meta["verbal"] = belief.verbal if not belief.observed else f"observed {belief.observed}"
        text = argdown_text(" ".join(claim.text.split()) or cid)
        lines.append(f"[{titles[cid]}]: {text} {_metadata(meta)}")
        for r in relations_into.get(cid, []):
            lines.append(f"  {'<+' if r.kind == SUPPORT else '<-'} [{titles[r.source]}]")
        lines.append("")
    network = network_of(model)
    counted = set(beliefs.counted)
    for item in model.evidence:
        meta = {**item_document(item)}
        meta.pop("text", None)
        if item.text and not _argdown_text_survives(item.text):
            meta["text"] = item.text
        meta["counted"] = item.id in counted
        arrows = []
        if isinstance(item.bearing, Observation):
            for cid, state in item.bearing.states.items():
                arrows.append(("+>" if state == model.claims[cid].states[0] else "->", cid))
        else:
            decibels = {}
            for target in item.targets:
                effect = evidence_effect(model, [item], target, network)
                moved = max(effect.decibels.items(), key=lambda kv: abs(kv[1]) if math.isfinite(kv[1]) else 0)
                state = "true" if effect.is_binary else moved[0]
                db = effect.decibels[state]
                decibels[target] = {state: round(db, 3)} if math.isfinite(db) else {state: str(db)}
                arrows.append(("+>" if db >= 0 else "->", target))
            meta["db"] = decibels
        text = argdown_text(" ".join(item.text.split()) or item.id)
        lines.append(f"<{item.id}>: {text} {_metadata(meta)}")
        lines += [f"  {arrow} [{titles[target]}]" for arrow, target in arrows]
        lines.append("")
    return "\n".join(lines)


def _rounded(distribution: Mapping[str, float]) -> dict[str, float]:
    return {s: round(p, 6) for s, p in distribution.items()}


def _relative(path: str | None, output: str | None) -> str | None:
    if path is None:
        return None
    if output is None:
        return os.path.abspath(path)
    return os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.abspath(output)))


# ----------------------------------------------------------------------------- AIF


def to_aif(beliefs: Beliefs) -> dict[str, Any]:
    """AIF in the AIFdb/OVA JSON layout: claims and evidence as I-nodes, each support through an
    RA-node (inference), each attack through a CA-node (conflict); no locutions (nothing here
    was said in a dialogue). argmap's numbers ride along under ``argmap`` keys, which AIF
    readers ignore."""
    model = beliefs.model
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    ids: dict[str, str] = {}

    def node(key: str, text: str, kind: str, extra: dict[str, Any] | None = None) -> str:
        node_id = str(len(nodes) + 1)
        nodes.append({"nodeID": node_id, "text": text, "type": kind, "timestamp": "", **(extra or {})})
        ids[key] = node_id
        return node_id

    def edge(source: str, target: str) -> None:
        edges.append({"edgeID": str(len(edges) + 1), "fromID": source, "toID": target, "formEdgeID": None})

    for cid, claim in model.claims.items():
        b = beliefs[cid]
        node(cid, claim.text or claim.label or cid, "I",
             {"argmap": {"id": cid, "role": claim.role, "states": list(claim.states), "prior": dict(b.prior),
                         "posterior": dict(b.posterior), "verbal": b.verbal}})
    for relation in claim_relations(model):
        if relation.kind == INFLUENCE:
            continue
        scheme = node(f"{relation.kind}:{relation.source}:{relation.target}",
                      "Default Inference" if relation.kind == SUPPORT else "Default Conflict",
                      "RA" if relation.kind == SUPPORT else "CA",
                      {"argmap": {"strength": None if relation.strength is None else relation.strength.value}})
        edge(ids[relation.source], scheme)
        edge(scheme, ids[relation.target])
    from argmap.engine.compile import network_of
    from argmap.analysis.relations import evidence_effect

    network = network_of(model)
    for item in model.evidence:
        if item.id not in beliefs.counted:
            continue
        node(item.id, item.text or item.id, "I",
             {"argmap": {"id": item.id, "evidence": True, "date": str(item.date) if item.date else None,
                         "cite": list(item.cite), "url": item.url}})
        if isinstance(item.bearing, Observation):
            effects = [(cid, SUPPORT if state == model.claims[cid].states[0] else ATTACK, None)
                       for cid, state in item.bearing.states.items()]
        else:
            effects = []
            for target in item.targets:
                effect = evidence_effect(model, [item], target, network)
                db = effect.decibels["true"] if effect.is_binary else max(effect.decibels.values(), key=abs)
                effects.append((target, SUPPORT if db >= 0 else ATTACK, _finite(effect.decibels)))
        for target, kind, decibels in effects:
            scheme = node(f"{item.id}->{target}", "Default Inference" if kind == SUPPORT else "Default Conflict",
                          "RA" if kind == SUPPORT else "CA", {"argmap": {"decibels": decibels}})
            edge(ids[item.id], scheme)
            edge(scheme, ids[target])
    return {"nodes": nodes, "edges": edges, "locutions": []}


# ----------------------------------------------------------------------------- BIF / XMLBIF


_BIF_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


def _check_bif_names(model: Model) -> None:
    """BIF has no quoting: a state named ``x }; probability ( y ) {`` would be written as BIF
    syntax. Refuse names outside BIF's words (XMLBIF escapes them, so it takes any name)."""
    from argmap.errors import ArgmapError, Problem

    bad = [Problem(claim.where("states"), f"claim '{claim.id}': state {state!r} cannot be written in BIF, "
                                          "which has no quoting (letters, digits, _ . - only); rename the "
                                          "state, or export --to xmlbif, which escapes it")
           for claim in model.claims.values() for state in claim.states if not _BIF_WORD.match(state)]
    if bad:
        raise ArgmapError(bad)


def to_bif(beliefs: Beliefs, *, xml: bool = False) -> Export:
    """The compiled network through pgmpy's BIF (or XMLBIF) writer; the evidence that counts is
    written beside it as ``.evidence.json`` ({variable: state}), with argmap's posteriors so that
    a reader can check its own engine against them."""
    from pgmpy.readwrite import BIFWriter, XMLBIFWriter

    from argmap.engine.compile import network_of, to_pgmpy
    from argmap.engine.infer import evidence_assignment

    model = beliefs.model
    if not xml:
        _check_bif_names(model)
    network = network_of(model)
    bn = to_pgmpy(network)
    bn.name = model.name
    text = str(XMLBIFWriter(bn)) if xml else str(BIFWriter(bn))
    counted = [model.item(i) for i in beliefs.counted]
    assignment = evidence_assignment(model, network, counted)
    evidence = {name: network.variables[name].states[index] for name, index in assignment.items()}
    beside = {
        "argmap_evidence": 1,
        "model": model.name,
        "as_of": str(beliefs.as_of) if beliefs.as_of else None,
        "evidence": evidence,
        "posteriors": {cid: dict(b.posterior) for cid, b in beliefs.claims.items()},
        "note": "Enter 'evidence' as hard evidence on these variables (every other variable is "
                "unobserved); each claim's posterior then equals 'posteriors'.",
    }
    return Export(text.encode("utf-8"), {".evidence.json": _json_bytes(beside)})
