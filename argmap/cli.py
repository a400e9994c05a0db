"""Command-line arguments → the pipeline's stages → text on stdout and an exit code (DESIGN §7).

Exit codes: 0 success; 2 bad input or usage, one message per problem; 1 only for a bug.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence

import click

from .errors import ArgmapError

FORMATS = ("table", "json", "csv")


class _Group(click.Group):
    """Turns ArgmapError into `file:line: message` lines on stderr and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ArgmapError as exc:
            for problem in exc.problems:
                click.echo(f"{problem}", err=True)
            count = len(exc.problems)
            click.echo(f"argmap: {count} problem{'s' if count != 1 else ''} found", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="argmap")
def main() -> None:
    """argmap: argument maps you can test with Bayesian networks."""


def _load(model: str, evidence: Sequence[str] | None = None):
    from .validate import load

    return load(model, evidence=list(evidence) if evidence else None)


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--evidence", "-e", multiple=True, metavar="PATH",
              help="Evidence files or folders to use instead of the model's own (repeatable).")
def check(model: str, evidence: Sequence[str]) -> None:
    """Load and validate MODEL and its evidence; list every problem as file:line: message."""
    from .infer import update

    loaded = _load(model, evidence)
    update(loaded)  # evidence that cannot all hold is a problem too
    items = loaded.evidence
    files = len({i.location.file for i in items})
    waiting = sum(i.expected for i in items)
    click.echo(
        f"{loaded.path}: ok — {len(loaded.claims)} claims, {len(items)} evidence items "
        f"in {files} file{'s' if files != 1 else ''}"
        + (f" ({waiting} expected, not yet observed)" if waiting else "")
    )


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--evidence", "-e", multiple=True, metavar="PATH",
              help="Evidence files or folders to use instead of the model's own (repeatable).")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE (YYYY[-MM[-DD]]).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--engine", type=click.Choice(["argmap", "pgmpy"]), default="argmap", show_default=True,
              help="pgmpy: the same numbers from pgmpy's VariableElimination (slower; a cross-check).")
def update(model: str, evidence: Sequence[str], as_of: str | None, fmt: str, engine: str) -> None:
    """Prior and posterior of every claim of MODEL given its evidence."""
    from .infer import update as run_update

    beliefs = run_update(_load(model, evidence), as_of=as_of, engine=engine)
    if fmt == "json":
        click.echo(json.dumps(beliefs.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(_csv(beliefs), nl=False)
    else:
        click.echo(_table(beliefs))


def _rows(beliefs) -> list[tuple[str, str, str, float, float, str]]:
    """(claim, role, state, prior, posterior, verbal): P(true) for a binary claim, every state otherwise."""
    from .scales import SCALES

    scale = SCALES[beliefs.model.scale]
    rows = []
    for cid, b in beliefs.claims.items():
        role = beliefs.model.claims[cid].role
        states = ("true",) if b.is_binary else b.states
        for state in states:
            p = b.posterior[state]
            verbal = f"observed {b.observed}" if b.observed else scale.word_for(p)
            rows.append((cid, role, state, b.prior[state], p, verbal))
    return rows


def _csv(beliefs) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["claim", "role", "state", "prior", "posterior", "verbal"])
    for cid, role, state, prior, posterior, verbal in _rows(beliefs):
        writer.writerow([cid, role, state, f"{prior:.6f}", f"{posterior:.6f}", verbal])
    return out.getvalue()


def _table(beliefs) -> str:
    model = beliefs.model
    counted = len(beliefs.counted)
    header = [model.title or model.name]
    cutoff = f"up to {beliefs.as_of}" if beliefs.as_of else "all dates"
    header.append(f"evidence: {counted} of {len(model.evidence)} items counted ({cutoff}); "
                  f"words: {model.scale} scale")
    rows = [(cid, role, state if state != "true" else "", f"{prior:.3f}", f"{post:.3f}",
             _arrow(prior, post), verbal)
            for cid, role, state, prior, post, verbal in _rows(beliefs)]
    titles = ("claim", "role", "state", "prior", "posterior", "", "verbal (posterior)")
    if not any(r[2] for r in rows):  # all claims binary: no state column
        titles = titles[:2] + titles[3:]
        rows = [r[:2] + r[3:] for r in rows]
    widths = [max(len(t), *(len(r[i]) for r in rows)) for i, t in enumerate(titles)]
    right = {titles.index("prior"), titles.index("posterior")}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    body = [line(titles), line(["─" * w for w in widths])]
    previous = None
    for row in rows:
        shown = list(row)
        if row[0] == previous:
            shown[0] = shown[1] = ""
        previous = row[0]
        body.append(line(shown))
    note = "binary claims show P(true)" + ("; multi-state claims show each state" if "state" in titles else "")
    return "\n".join(header + [""] + body + ["", note])


def _arrow(prior: float, posterior: float) -> str:
    if posterior > prior + 0.005:
        return "↑"
    if posterior < prior - 0.005:
        return "↓"
    return "="


def _write_output(path: str, data: bytes, *, overwrite: bool = True) -> None:
    """Write an output file atomically; a path that cannot be written is bad input (exit 2)."""
    import os

    from ._io import write_atomic_bytes
    from .errors import Location

    try:
        write_atomic_bytes(path, data, overwrite=overwrite)
    except FileExistsError as exc:
        if overwrite:  # a file stands where a folder of the path should be
            raise ArgmapError.at(Location(path), f"cannot write {path}: {exc.strerror}; a file is in the way of "
                                                 "its folder; choose another -o path") from None
        raise ArgmapError.at(Location(path), f"{path} exists; argmap does not overwrite it unless you "
                                             "add --force (or choose another -o path)") from None
    except OSError as exc:
        folder = os.path.dirname(os.path.abspath(path))
        raise ArgmapError.at(Location(path), f"cannot write {path}: {exc.strerror or exc}; choose an -o "
                                             f"path in a folder you can write to (not {folder})") from None


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--output", "-o", required=True, metavar="FILE", help="Where to write the diagram.")
@click.option("--format", "fmt", metavar="svg|pdf|png|dot",
              help="Output format; default: from the file name's extension, else svg.")
@click.option("--style", default="paper", show_default=True, metavar="paper|screen",
              help="paper: greyscale, serif, for a journal figure; screen: colour-blind-safe colours.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE (YYYY[-MM[-DD]]).")
@click.option("--evidence", "evidence_mode", default="summary", show_default=True, metavar="none|summary|all",
              help="Evidence drawn: none; one box per claim (count, net dB); or one box per item.")
def diagram(model: str, output: str, fmt: str | None, style: str, as_of: str | None, evidence_mode: str) -> None:
    """Draw MODEL's argument map with prior → posterior of every claim into FILE."""
    from .render import diagram as draw
    from .render import format_for_path

    by_name = format_for_path(output)
    if fmt is not None:
        from .render import FORMATS as DIAGRAM_FORMATS
        from .render import _check_choice

        _check_choice(fmt, DIAGRAM_FORMATS, "--format")
    if fmt is None:
        fmt = by_name or "svg"
    elif by_name and by_name != fmt:
        from .errors import Location

        raise ArgmapError.at(Location("--format"), f"-o {output} names a .{output.rsplit('.', 1)[-1]} file but "
                                                   f"--format is {fmt}; make them agree (or leave out --format)")
    data = draw(_load(model), format=fmt, style=style, evidence=evidence_mode, as_of=as_of)
    _write_output(output, data)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--to", "to", required=True, metavar="argdown|aif|bif|xmlbif|json", help="The format to write.")
@click.option("--output", "-o", metavar="FILE", help="Where to write it (default: standard output).")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE (YYYY[-MM[-DD]]).")
def export(model: str, to: str, output: str | None, as_of: str | None) -> None:
    """Write MODEL with its posteriors for other tools: Argdown, AIF, BIF, XMLBIF or JSON.

    bif/xmlbif with -o also write FILE's evidence (the items that count, as {variable: state})
    beside it, in a file ending .evidence.json."""
    import os

    from .export import export as run_export

    result = run_export(_load(model), to, as_of=as_of, output=output)
    if output is None:
        click.echo(result.data.decode("utf-8"), nl=False)
        if result.beside:
            click.echo("argmap: the evidence that counts is written only with -o FILE (as FILE.evidence.json)", err=True)
        return
    _write_output(output, result.data)
    click.echo(f"wrote {output}")
    stem = output.rsplit(".", 1)[0] if "." in os.path.basename(output) else output
    for suffix, data in result.beside.items():
        _write_output(stem + suffix, data)
        click.echo(f"wrote {stem + suffix}")


@main.command(name="import")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--output", "-o", required=True, metavar="MODEL", help="The model file to write (.yaml).")
@click.option("--force", is_flag=True, help="Overwrite MODEL (and its evidence file) if they exist.")
def import_(source: str, output: str, force: bool) -> None:
    """Make a model file from an Argdown file or a BIF / XMLBIF network (SOURCE).

    Evidence items (Argdown arguments with likelihoods) go to MODEL's stem + .evidence.yaml
    beside it. Nothing is written unless the result passes `argmap check`."""
    from .importer import import_file

    for path in import_file(source, output, force=force):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("name")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def new(name: str, directory: str) -> None:
    """Scaffold models/NAME.yaml and evidence/NAME/ in DIRECTORY with an example of every construct."""
    from .scaffold import scaffold

    for path in scaffold(name, directory):
        click.echo(f"wrote {path}")


@main.command()
@click.option("--kind", type=click.Choice(["model", "evidence"]), default="model", show_default=True)
def schema(kind: str) -> None:
    """Print the JSON Schema of model files (or of evidence files with --kind evidence)."""
    from .schema import evidence_schema, model_schema

    click.echo(json.dumps(model_schema() if kind == "model" else evidence_schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
