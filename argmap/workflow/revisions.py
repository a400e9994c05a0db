"""A model at two revisions (git revisions or evidence folders) → what changed and how each change
moved the hypotheses (``argmap diff``); a model across its git history → one row of beliefs per
commit (``argmap history --git``).

A git revision is read into a temporary folder (the model file, its evidence and bibliography,
with ``git archive``), so the working tree is never touched. The diff walks from the old side to
the new one change at a time — the model file first, then removed, changed and added items in
date order — and records every hypothesis after each step, so the steps add up exactly to the
total move. (Another order would split the total differently; the order is stated in the output.)
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from argmap._text import plural, text_table
from argmap.errors import ArgmapError, Location, Problem
from argmap.interop.export import claim_document, item_document
from argmap.model import EvidenceItem, Model

__all__ = ["Change", "Diff", "Side", "diff", "git_history", "open_side"]

WORKING_TREE = "working tree"


# ----------------------------------------------------------------------------- reading a side


@attrs.frozen
class Side:
    """One side of a comparison: a label for people and the model as loaded there."""

    label: str
    model: Model


def _git(args: Sequence[str], cwd: str, *, what: str, binary: bool = False) -> Any:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise ArgmapError.at(Location(what), "git is not installed; install git, or compare two evidence folders "
                                             "(--from OLD_FOLDER --to NEW_FOLDER)") from None
    if done.returncode != 0:
        raise _GitFailed(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout if binary else done.stdout.decode("utf-8", "replace")


class _GitFailed(Exception):
    pass


def repository_root(path: str, option: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        return _git(["rev-parse", "--show-toplevel"], folder, what=option).strip()
    except _GitFailed:
        raise ArgmapError.at(Location(option), f"{path} is not in a git repository, so {option} cannot name a "
                                               "revision; run `git init` and commit, or compare two evidence "
                                               "folders (--from OLD_FOLDER --to NEW_FOLDER)") from None


def _commit_of(root: str, revision: str, option: str) -> str:
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root, what=option).strip()
    except _GitFailed:
        raise ArgmapError.at(Location(option), f"unknown git revision '{revision}'; give a commit, a branch or a "
                                               "tag (git log --oneline lists commits), or an evidence folder "
                                               "that exists") from None


@contextlib.contextmanager
def open_side(model_path: str, spec: str | None, option: str) -> Iterator[Side]:
    """The model at ``spec``: None → the working tree; an existing file or folder → the current
    model with that evidence; anything else → a git revision."""
    from argmap.loader.validate import load

    if spec is None:
        yield Side(WORKING_TREE, load(model_path))
    elif os.path.exists(spec):
        yield Side(spec, load(model_path, evidence=[spec]))
    else:
        root = repository_root(model_path, option)
        commit = _commit_of(root, spec, option)
        with tempfile.TemporaryDirectory(prefix="argmap-rev-") as folder:
            yield Side(spec, load_at(model_path, root, commit, folder, label=spec, option=option))


def load_at(model_path: str, root: str, commit: str, folder: str, *, label: str, option: str = "--git") -> Model:
    """The model as it was at ``commit``, read from a copy in ``folder``; problems name
    ``label:path`` (``HEAD~2:evidence/x/a.yaml:4``)."""
    from argmap.loader.reader import load_model
    from argmap.loader.validate import load

    relative = os.path.relpath(os.path.realpath(model_path), root)
    if relative.startswith(".."):
        raise ArgmapError.at(Location(model_path), f"{model_path} is outside the git repository at {root}")
    _extract(root, commit, [relative], folder, label)
    copy = os.path.join(folder, relative)
    if not os.path.exists(copy):
        raise ArgmapError.at(Location(option), f"{relative} does not exist at {label}; choose a revision where "
                                               "the model was committed (git log --oneline -- " + relative + ")")
    first = load_model(copy)  # only to learn where the evidence and bibliography were then
    wanted = []
    if first.model is not None:
        wanted = [*first.model.evidence_paths, *([first.model.bibliography] if first.model.bibliography else [])]
    inside = [os.path.relpath(p, folder) for p in wanted if not os.path.relpath(p, folder).startswith("..")]
    _extract(root, commit, inside, folder, label)
    try:
        return load(copy)
    except ArgmapError as exc:
        raise ArgmapError([_relabel(p, folder, label) for p in exc.problems]) from None


def _extract(root: str, commit: str, paths: Sequence[str], folder: str, label: str) -> None:
    """Copy ``paths`` (files or folders) as they were at ``commit`` into ``folder``; paths that did
    not exist then are skipped (the loader reports what is missing)."""
    listed = _git(["ls-tree", "-r", "--name-only", "-z", commit, "--", *paths], root, what=label) if paths else ""
    names = [n for n in listed.split("\0") if n]
    if not names:
        return
    data = _git(["archive", "--format=tar", commit, "--", *names], root, what=label, binary=True)
    from argmap._files import MAX_FILE_BYTES

    root_real = os.path.realpath(folder)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        # regular files only, each written by argmap: a committed symlink (absolute or not) is
        # never followed out of the copy, and never crashes the extraction (AbsoluteLinkError)
        for member in archive:
            if not member.isfile() or member.size > MAX_FILE_BYTES:
                continue
            target = os.path.realpath(os.path.join(folder, member.name))
            if not target.startswith(root_real + os.sep):
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as out:
                out.write(source.read())


def _relabel(problem: Problem, folder: str, label: str) -> Problem:
    real = os.path.realpath(problem.location.file)
    root = os.path.realpath(folder)
    if real.startswith(root + os.sep):
        return Problem(Location(f"{label}:{os.path.relpath(real, root)}", problem.location.line), problem.message)
    return problem


# ----------------------------------------------------------------------------- the diff


@attrs.frozen
class Change:
    """One step of the walk from the old side to the new: the model file, or one item."""

    kind: str  # "model" | "removed" | "changed" | "added"
    id: str  # the item's id ("" for the model)
    date: str
    text: str
    details: tuple[str, ...]  # what changed: keys of an item; claims and sources of the model
    counted: bool  # whether the item counts on its side (an expected or later item moves nothing)
    after: Mapping[str, float] | None  # every followed column after this step; None: evidence impossible
    delta: Mapping[str, float] | None  # change of each column made by this step


@attrs.frozen
class Diff:
    old: str
    new: str
    columns: tuple[str, ...]  # "claim" (P(true)) or "claim=state"
    start: Mapping[str, float] | None
    end: Mapping[str, float] | None
    changes: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.old, "to": self.new, "columns": list(self.columns),
            "start": _plain(self.start), "end": _plain(self.end),
            "changes": [{"kind": c.kind, "id": c.id or None, "date": c.date or None, "text": c.text,
                         "details": list(c.details), "counted": c.counted, "after": _plain(c.after),
                         "delta": _plain(c.delta)} for c in self.changes],
        }


def _plain(values: Mapping[str, float] | None) -> dict[str, float] | None:
    return None if values is None else dict(values)


def _columns(old: Model, new: Model, targets: Sequence[str]) -> list[tuple[str, str]]:
    chosen = list(targets) or [c for c in new.hypotheses] or list(new.claims)
    columns = []
    for cid in chosen:
        if cid not in new.claims:
            from argmap.errors import did_you_mean

            raise ArgmapError.at(Location("--target"), f"unknown claim '{cid}'" + did_you_mean(cid, new.claims))
        claim = new.claims[cid]
        if cid in old.claims and old.claims[cid].states != claim.states:
            continue  # states differ between the sides: no common number to follow
        columns += [(cid, "true")] if claim.is_binary else [(cid, s) for s in claim.states]
    return columns


def _name(claim: str, state: str) -> str:
    return claim if state == "true" else f"{claim}={state}"


def _beliefs(model: Model, columns: Sequence[tuple[str, str]], as_of: Any) -> dict[str, float] | None:
    """The followed posteriors (claims missing on this side are left out); None when the
    evidence is impossible."""
    try:
        beliefs = model.update(as_of=as_of)
    except ArgmapError as exc:
        if any("impossible evidence" in p.message for p in exc.problems):
            return None
        raise
    return {_name(c, s): beliefs.posterior(c, s) for c, s in columns if c in model.claims}


def _model_changes(old: Model, new: Model) -> tuple[str, ...]:
    details = []
    for cid in new.claims:
        if cid not in old.claims:
            details.append(f"claim {cid} added")
        elif claim_document(old, cid) != claim_document(new, cid):
            details.append(f"claim {cid} changed")
    details += [f"claim {cid} removed" for cid in old.claims if cid not in new.claims]
    for sid in sorted(set(old.sources) | set(new.sources)):
        a, b = old.sources.get(sid), new.sources.get(sid)
        if a is None or b is None or (a.text, a.reliability, a.random_yes) != (b.text, b.reliability, b.random_yes):
            details.append(f"source {sid} " + ("added" if a is None else "removed" if b is None else "changed"))
    if old.scale != new.scale:
        details.append(f"scale {old.scale} → {new.scale}")
    return tuple(details)


def _valid_in(model: Model, item: EvidenceItem) -> bool:
    from argmap.loader.validate import validate

    return not validate(attrs.evolve(model, evidence=(item,)))


def _date_key(item: EvidenceItem) -> tuple:
    return (item.date is not None, item.date.first_day if item.date else None, item.id)


def _document(item: EvidenceItem) -> dict[str, Any]:
    """The item as plain data, an ``lr`` named as the user wrote it."""
    document = item_document(item)
    if getattr(item.bearing, "stated_as", "") == "lr":
        document["lr"] = document.pop("likelihood")
    return document


def _changed_keys(old: EvidenceItem, new: EvidenceItem) -> tuple[str, ...]:
    a, b = _document(old), _document(new)
    return tuple(k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k))


def diff(old: Side, new: Side, *, targets: Sequence[str] = (), as_of: Any = None) -> Diff:
    """Walk from ``old`` to ``new`` one change at a time (see the module docstring)."""
    from argmap.engine.infer import as_of_date

    cutoff = as_of_date(as_of)
    columns = _columns(old.model, new.model, targets)
    names = tuple(_name(c, s) for c, s in columns)
    old_items = {i.id: i for i in old.model.evidence}
    new_items = {i.id: i for i in new.model.evidence}
    current_model = old.model
    current = dict(old_items)
    state = start = _beliefs(current_model, columns, cutoff)
    steps: list[Change] = []

    def step(kind: str, item: EvidenceItem | None, details: tuple[str, ...], counted: bool) -> None:
        nonlocal state
        after = _beliefs(attrs.evolve(current_model, evidence=tuple(current.values())), columns, cutoff)
        delta = None
        if after is not None and state is not None:
            delta = {n: after[n] - state[n] for n in names if n in after and n in state}
        steps.append(Change(kind, item.id if item else "", str(item.date) if item and item.date else "",
                            item.text if item else "", details, counted, after, delta))
        state = after

    model_details = _model_changes(old.model, new.model)
    if model_details:
        dropped = [i for i in current.values() if not _valid_in(new.model, i)]
        for item in dropped:  # it cannot be read by the new model; it leaves with the model change
            del current[item.id]
        current_model = new.model
        step("model", None, model_details + tuple(f"item {i.id} no longer fits" for i in dropped), True)
    for item in sorted((i for i in old_items.values() if i.id not in new_items), key=_date_key):
        current.pop(item.id, None)
        step("removed", item, (), item.counts_at(cutoff))
    for item in sorted((i for i in new_items.values() if i.id in old_items), key=_date_key):
        keys = _changed_keys(old_items[item.id], item)
        if keys or item.id not in current:
            current[item.id] = item
            step("changed", item, keys, item.counts_at(cutoff) or old_items[item.id].counts_at(cutoff))
        else:
            current[item.id] = item  # same content; the new side's copy (its file and line)
    for item in sorted((i for i in new_items.values() if i.id not in old_items), key=_date_key):
        current[item.id] = item
        step("added", item, (), item.counts_at(cutoff))
    end = _beliefs(new.model, columns, cutoff)
    return Diff(old.label, new.label, names, start, end, tuple(steps))


def _pp(value: float | None) -> str:
    if value is None:
        return "n/a"
    points = value * 100
    if abs(points) < 0.05:
        return "0"
    return ("+" if points > 0 else "−") + f"{abs(points):.1f}"


def diff_rows(result: Diff) -> tuple[list[str], list[list[str]]]:
    """Titles and cells of the diff table (changes of posteriors in percentage points)."""
    titles = ["change", "item", "date", "what changed", *result.columns]
    rows = []
    for c in result.changes:
        what = ", ".join(c.details) if c.details else ("" if c.counted else "(does not count)")
        if c.details and not c.counted:
            what += " (does not count)"
        cells = [c.kind, c.id or "model file", c.date, what]
        cells += [("impossible" if c.after is None else _pp((c.delta or {}).get(n))) for n in result.columns]
        rows.append(cells)
    return titles, rows


def diff_text(result: Diff, *, markdown: bool = False) -> str:
    """The diff as a terminal table, or as a Markdown table for a reply to reviewers."""
    titles, rows = diff_rows(result)
    lines = [f"from {result.old} to {result.new}: "
             + (f"{len(result.changes)} change{'s' if len(result.changes) != 1 else ''}" if result.changes
                else "no change to the model or its evidence")]
    for n in result.columns:
        a = (result.start or {}).get(n)
        b = (result.end or {}).get(n)
        lines.append(f"  P({n}) {'n/a' if a is None else f'{a:.3f}'} → {'n/a' if b is None else f'{b:.3f}'}"
                     + ("" if a is None or b is None else f" ({_pp(b - a)} points)"))
    if not result.changes:
        return "\n".join(lines)
    lines += ["", "each row: how the step moved each posterior, in percentage points; steps are taken in "
                  "this order (model file, removed, changed, added; by date) and add up to the total", ""]
    numeric = set(range(4, len(titles)))
    if markdown:
        lines.append("| " + " | ".join(titles) + " |")
        lines.append("|" + "|".join("---:" if i in numeric else "---" for i in range(len(titles))) + "|")
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines)
    lines += text_table(titles, rows, right=numeric, max_widths={3: 48})
    return "\n".join(lines)


# ----------------------------------------------------------------------------- history from git


def git_history(model_path: str, *, limit: int = 50, as_of: Any = None) -> tuple[list[str], list[dict[str, str]]]:
    """Beliefs at each commit that touched the model, its evidence or bibliography (oldest
    first, at most ``limit`` commits): rows shaped like the belief log's."""
    from argmap.loader.validate import load
    from argmap.workflow.journal import LOG_FIXED, belief_columns, column_name, evidence_hash, model_hash

    root = repository_root(model_path, "--git")
    current = load(model_path)
    paths = [model_path, *current.evidence_paths, *([current.bibliography] if current.bibliography else [])]
    inside = [os.path.relpath(os.path.realpath(p), root) for p in paths if os.path.exists(p)]
    try:
        log = _git(["log", f"-{limit}", "--format=%H %h %cI", "--", *inside], root, what="--git")
    except _GitFailed as exc:
        raise ArgmapError.at(Location("--git"), f"git log failed: {exc}") from None
    commits = [line.split(" ") for line in log.splitlines() if line.strip()][::-1]
    header = ["date", *LOG_FIXED[1:]]
    columns: list[str] = []
    rows = []
    for full, short, when in commits:
        with tempfile.TemporaryDirectory(prefix="argmap-rev-") as folder:
            row = {"date": when[:19].replace("T", " "), "commit": short, "as_of": str(as_of or "")}
            try:
                model = load_at(model_path, root, full, folder, label=short)
                beliefs = model.update(as_of=as_of)
            except ArgmapError as exc:
                row.update({"model": "", "evidence": "", "items": plural(len(exc.problems), "problem")})
                rows.append(row)
                continue
        row.update({"model": model_hash(model), "evidence": evidence_hash(model), "items": str(len(beliefs.counted))})
        for cid, state in belief_columns(model):
            name = column_name(cid, state)
            if name not in columns:
                columns.append(name)
            row[name] = f"{beliefs.posterior(cid, state):.4f}"
        rows.append(row)
    return header + columns, rows
