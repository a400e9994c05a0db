"""Command-line arguments → the pipeline's stages → text on stdout and an exit code (DESIGN §7).

Exit codes: 0 success; 2 bad input or usage, one message per problem; 1 only for a bug.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence

import click

from argmap._output import data, data_bytes, is_stdout, json_data, quiet_warnings, setup_streams, status
from argmap._text import plural, text_table
from argmap.errors import ArgmapError, Location

FORMATS = ("table", "json", "csv")
SCALE_OUT = ("sensitivity", "compare", "check --deep", "sweep")  # the commands with --scheduler and --workers


class _Group(click.Group):
    """Turns ArgmapError into `file:line: message` lines on stderr and exit status 2."""

    def invoke(self, ctx: click.Context):
        from argmap._files import forget_reads

        forget_reads()  # one command's inputs (CliRunner runs many in one process)
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as exc:
            if exc.option_name not in ("--scheduler", "--workers"):
                raise
            raise click.UsageError(f"{exc.option_name} is for the commands whose work can run on Dask: "
                                   f"{', '.join(SCALE_OUT)}; this one runs in this process", ctx=exc.ctx) from None
        except ArgmapError as exc:
            for problem in exc.problems:
                status(f"{problem}")
            count = len(exc.problems)
            status(f"argmap: {count} problem{'s' if count != 1 else ''} found")
            ctx.exit(2)
        except (KeyboardInterrupt, Exception) as exc:
            # a Ctrl-C (click would print "Aborted!" and exit 1, the code for a bug), also one that
            # Python wrapped in a RuntimeError while a class was being made (an import)
            from argmap._interrupt import interrupted

            if not interrupted(exc):
                raise
            status("\nargmap: interrupted")
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="argmap")
def main() -> None:
    """argmap: argument maps you can test with Bayesian networks."""
    setup_streams()
    quiet_warnings()


def run() -> None:
    """The `argmap` command (and `python -m argmap`): :func:`main`, exiting with its status."""
    import signal

    try:
        main()
    except SystemExit as done:
        # The command has finished and written its outputs. A Ctrl-C during the interpreter's
        # shutdown would kill the process by signal (Python restores the default handler there,
        # but keeps an ignored one), turning a finished run into a failed one.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if done.code == 130:
            from argmap._interrupt import exit_interrupted

            exit_interrupted()
        raise


def _load(model: str, evidence: Sequence[str] | None = None):
    from argmap.loader.validate import load

    if is_stdout(model):
        raise ArgmapError.at(Location(model), "argmap reads a model from its file, not from standard input: a "
                             "model names its evidence and bibliography relative to its own folder; save it "
                             "(e.g. models/NAME.yaml) and give that path")

    return load(model, evidence=list(evidence) if evidence else None)


def _scale_out(command):
    """--scheduler, --workers and --quiet of the commands whose heavy work can run on Dask (docs/cli.md)."""
    for option in (
        click.option("--quiet", "-q", is_flag=True, help="No progress bar on standard error."),
        click.option("--workers", type=int, metavar="N",
                     help="Run the heavy work on a local Dask cluster of N worker processes (argmap[distributed])."),
        click.option("--scheduler", metavar="tcp://HOST:PORT", envvar="DASK_SCHEDULER_ADDRESS", show_envvar=True,
                     help="Run the heavy work on the Dask cluster with this scheduler (argmap[distributed]); "
                          "same numbers as in this process."),
    ):
        command = option(command)
    return command


def _runner(scheduler: str | None, workers: int | None, *, used: bool = True, why: str = ""):
    """Where the heavy work runs (argmap.analysis.distributed.runner; Dask is imported only for a
    cluster). An explicit --scheduler/--workers on work that does not use it is a usage error; a
    DASK_SCHEDULER_ADDRESS in the environment is not."""
    from argmap.analysis.distributed import check_options, runner

    if not used:
        from_env = click.get_current_context().get_parameter_source("scheduler") == click.core.ParameterSource.ENVIRONMENT
        given = [name for name, value in (("--scheduler", None if from_env else scheduler), ("--workers", workers))
                 if value is not None]
        if given:
            raise ArgmapError.at(Location(given[0]), f"{given[0]} {why}")
        scheduler = workers = None
    check_options(scheduler, workers)  # now, before the work of the command
    return runner(scheduler, workers)


@main.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...", type=click.Path(dir_okay=False))
@click.option("--evidence", "-e", multiple=True, metavar="PATH",
              help="Evidence files or folders to use instead of the model's own (repeatable).")
@click.option("--deep", is_flag=True, help="Also check coherence properties of the model (docs/coherence.md); "
                                           "exit 3 if one fails.")
@click.option("--seed", type=int, help="With --deep: seed of the random search (default 0; same seed, same run).")
@click.option("--examples", type=click.IntRange(1, 1_000_000), metavar="N",
              help="With --deep: random evidence subsets tried per property (default 100); more searches harder.")
@click.option("--strict", is_flag=True, help="With --deep: warnings (double counting, rivals) fail too (exit 3).")
@_scale_out
def check(models: Sequence[str], evidence: Sequence[str], deep: bool = False, seed: int | None = None,
          examples: int | None = None, strict: bool = False, scheduler: str | None = None,
          workers: int | None = None, quiet: bool = False) -> None:
    """Load and validate each MODEL and its evidence; list every problem as file:line: message.

    With --deep, also check that each model is coherent: signs, order independence, expected
    evidence, no false certainty, engine agreement, export round trips (exit 3 on a failure),
    and warn of double counting and rivals that are not exclusive. Several models' deep checks
    can run on Dask (--workers, --scheduler)."""
    from argmap.engine.infer import update

    for name, value in (("--seed", seed), ("--examples", examples), ("--strict", strict or None)):
        if value is not None and not deep:
            raise ArgmapError.at(Location(name), f"{name} goes with --deep; add --deep (argmap check --deep MODEL)")
    if evidence and len(models) > 1:
        raise ArgmapError.at(Location("--evidence"), "--evidence replaces one model's evidence; check one MODEL "
                                                     "with it, or leave it out to check each model's own")
    problems = []
    checked = []
    for model in models:  # every model's problems, not only the first model's
        try:
            loaded = _load(model, evidence)
            update(loaded)  # evidence that cannot all hold is a problem too
        except ArgmapError as exc:
            problems += exc.problems
            continue
        checked.append(loaded)
        items = loaded.evidence
        files = len({i.location.file for i in items})
        waiting = sum(i.expected for i in items)
        data(
            f"{loaded.path}: ok — {plural(len(loaded.claims), 'claim')}, {plural(len(items), 'evidence item')} "
            f"in {plural(files, 'file')}"
            + (f" ({waiting} expected, not yet observed)" if waiting else "")
        )
        from argmap.loader.validate import account_warnings

        for warning in account_warnings(loaded):
            click.echo(str(warning))
    if problems:
        raise ArgmapError(problems)
    with _runner(scheduler, workers, used=deep, why="runs the deep checks on Dask; add --deep") as where:
        if deep:
            import functools

            from argmap._progress import progress
            from argmap.verify.coherence import check_deep

            run = functools.partial(check_deep, seed=0 if seed is None else seed, examples=examples or 100)
            with progress("Deep check", len(checked), "models", quiet=quiet or len(checked) < 2) as bar:
                reports = where.map(run, checked, progress=bar, exclusive=True)
            for report in reports:
                data("\n" + report.text())
            worst = max(report.exit_code(strict=strict) for report in reports)
            if worst:
                sys.exit(worst)


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--evidence", "-e", multiple=True, metavar="PATH",
              help="Evidence files or folders to use instead of the model's own (repeatable).")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE (YYYY[-MM[-DD]]).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--engine", type=click.Choice(["argmap", "pgmpy"]), default="argmap", show_default=True,
              help="pgmpy: the same numbers from pgmpy's VariableElimination (slower; a cross-check).")
@click.option("--log", is_flag=True, help="Append the hypotheses' posteriors to reports/NAME/beliefs.csv.")
def update(model: str, evidence: Sequence[str], as_of: str | None, fmt: str, engine: str, log: bool) -> None:
    """Prior and posterior of every claim of MODEL given its evidence."""
    from argmap.engine.infer import update as run_update

    beliefs = run_update(_load(model, evidence), as_of=as_of, engine=engine)
    if log:
        from argmap.workflow.journal import log_beliefs

        path, appended = log_beliefs(beliefs)
        status(f"logged to {path}" if appended else f"{path}: unchanged since its last line, nothing logged")
    if fmt == "json":
        json_data(beliefs.to_dict())
    elif fmt == "csv":
        data(_csv(beliefs), nl=False, raw=True)
    else:
        data(_table(beliefs))


def _rows(beliefs) -> list[tuple[str, str, str, float, float, str]]:
    """(claim, role, state, prior, posterior, verbal): P(true) for a binary claim, every state otherwise."""
    from argmap.scales import SCALES

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
    import csv

    from argmap._terminal import safe_cell  # a state '=cmd|…' must not become a spreadsheet formula

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["claim", "role", "state", "prior", "posterior", "verbal"])
    for cid, role, state, prior, posterior, verbal in _rows(beliefs):
        writer.writerow([safe_cell(cid), safe_cell(role), safe_cell(state), f"{prior:.6f}", f"{posterior:.6f}",
                         safe_cell(verbal)])
    return out.getvalue()


def _table(beliefs) -> str:
    from argmap.scales import scale_name

    model = beliefs.model
    counted = len(beliefs.counted)
    header = [model.title or model.name]
    cutoff = f"up to {beliefs.as_of}" if beliefs.as_of else "all dates"
    header.append(f"evidence: {counted} of {plural(len(model.evidence), 'item')} counted ({cutoff}); "
                  f"words: {scale_name(model.scale)} scale")
    rows = [(cid, role, state if state != "true" else "", f"{prior:.3f}", f"{post:.3f}",
             _arrow(prior, post), verbal)
            for cid, role, state, prior, post, verbal in _rows(beliefs)]
    titles = ("claim", "role", "state", "prior", "posterior", "", "verbal (posterior)")
    multi_state = any(r[2] for r in rows)
    if not multi_state:  # all claims binary: no state column
        titles = titles[:2] + titles[3:]
        rows = [r[:2] + r[3:] for r in rows]
    from argmap._terminal import terminal_width

    width = terminal_width()
    shown = []
    previous = None
    for row in rows:  # a multi-state claim names itself on its first row only
        shown.append(("", "", *row[2:]) if row[0] == previous else row)
        previous = row[0]
    if multi_state and len(text_table(titles, shown)[1]) > width:
        # too wide for the terminal: a multi-state claim's states go under its name, indented
        titles = ("claim / state",) + titles[1:2] + titles[3:]
        shown = []
        for row in rows:
            if row[2]:
                if row[0] != previous:
                    shown.append((row[0], row[1], "", "", "", ""))
                shown.append((f"  {row[2]}", "", *row[3:]))
            else:
                shown.append(row[:2] + row[3:])
            previous = row[0]
    # narrower still: the verbal words wrap ("roughly even" over "chance") rather than the line
    body = text_table(titles, shown, right={titles.index("prior"), titles.index("posterior")},
                      width=width, wrap={len(titles) - 1})
    note = "binary claims show P(true)" + ("; multi-state claims show each state" if multi_state else "")
    from argmap.output.pairwise_text import beliefs_pairwise_lines

    return "\n".join(header + [""] + body + ["", note] + beliefs_pairwise_lines(beliefs))


def _arrow(prior: float, posterior: float) -> str:
    if posterior > prior + 0.005:
        return "↑"
    if posterior < prior - 0.005:
        return "↓"
    return "="


def _write_output(path: str, payload: bytes, *, overwrite: bool = True) -> None:
    """Write an output file atomically, or the bytes to stdout for ``-o -``, and say so on stderr;
    a path that cannot be written is bad input (exit 2)."""
    import os

    from argmap._io import write_atomic_bytes
    from argmap.errors import Location

    from argmap._files import refuse_input

    if is_stdout(path):
        data_bytes(payload)
        return
    refuse_input(path)
    try:
        write_atomic_bytes(path, payload, overwrite=overwrite)
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
    status(f"wrote {path}")


def _no_stdout(output: str | None, what: str) -> None:
    """Commands that write several files cannot write them to stdout: say so (exit 2)."""
    if is_stdout(output):
        raise ArgmapError.at(Location("-o"), f"-o - (standard output) cannot be used here: {what}")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--output", "-o", required=True, metavar="FILE", help="Where to write the diagram (-: standard output).")
@click.option("--format", "fmt", metavar="svg|pdf|png|dot",
              help="Output format; default: from the file name's extension, else svg.")
@click.option("--style", default="paper", show_default=True, metavar="paper|screen",
              help="paper: greyscale, serif, for a journal figure; screen: colour-blind-safe colours.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE (YYYY[-MM[-DD]]).")
@click.option("--evidence", "evidence_mode", default="summary", show_default=True, metavar="none|summary|all",
              help="Evidence drawn: none; one box per claim (count, net dB); or one box per item.")
@click.option("--width", metavar="3.5in|7in|LENGTH",
              help="Lay the map out for this page width, no text under 7 pt (e.g. 3.5in, 7in, 85mm).")
@click.option("--font", metavar="FAMILY", help="Font family (default: Liberation Serif/Sans or the like).")
def diagram(model: str, output: str, fmt: str | None, style: str, as_of: str | None, evidence_mode: str,
            width: str | None, font: str | None) -> None:
    """Draw MODEL's argument map with prior → posterior of every claim into FILE."""
    from argmap.output.diagram import diagram as draw
    from argmap.output.diagram import format_for_path

    by_name = format_for_path(output)
    if fmt is not None:
        from argmap.output.diagram import FORMATS as DIAGRAM_FORMATS
        from argmap.output.diagram import check_choice

        check_choice(fmt, DIAGRAM_FORMATS, "--format")
    if fmt is None:
        fmt = by_name or "svg"
    elif by_name and by_name != fmt:
        from argmap.errors import Location

        raise ArgmapError.at(Location("--format"), f"-o {output} names a .{output.rsplit('.', 1)[-1]} file but "
                                                   f"--format is {fmt}; make them agree (or leave out --format)")
    _write_output(output, draw(_load(model), format=fmt, style=style, evidence=evidence_mode, as_of=as_of,
                               width=width, font=font, warn=lambda text: status(f"warning: {text}")))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--to", "to", required=True, metavar="argdown|aif|bif|xmlbif|json", help="The format to write.")
@click.option("--output", "-o", metavar="FILE", help="Where to write it (default, or -: standard output).")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE (YYYY[-MM[-DD]]).")
@click.option("--force", is_flag=True, help="Overwrite FILE (and its .evidence.json) if they exist.")
def export(model: str, to: str, output: str | None, as_of: str | None, force: bool) -> None:
    """Write MODEL with its posteriors for other tools: Argdown, AIF, BIF, XMLBIF or JSON.

    bif/xmlbif with -o also write FILE's evidence (the items that count, as {variable: state})
    beside it, in a file ending .evidence.json."""
    import os

    from argmap.interop.export import export as run_export

    output = None if is_stdout(output) else output
    result = run_export(_load(model), to, as_of=as_of, output=output)
    if output is None:
        data_bytes(result.data)
        if result.beside:
            status("argmap: the evidence that counts is written only with -o FILE (as FILE.evidence.json)")
        return
    stem = output.rsplit(".", 1)[0] if "." in os.path.basename(output) else output
    if not force:  # refuse before writing anything, so that no half of the pair is replaced
        for path in (output, *(stem + suffix for suffix in result.beside)):
            if os.path.exists(path):
                raise ArgmapError.at(Location(path), f"{path} exists; argmap does not overwrite it unless you add "
                                                     "--force (or choose another -o path)")
    _write_output(output, result.data)
    for suffix, payload in result.beside.items():
        _write_output(stem + suffix, payload)


@main.command(name="import")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--output", "-o", required=True, metavar="MODEL", help="The model file to write (.yaml).")
@click.option("--force", is_flag=True, help="Overwrite MODEL (and its evidence file) if they exist.")
def import_(source: str, output: str, force: bool) -> None:
    """Make a model file from an Argdown file or a BIF / XMLBIF network (SOURCE).

    Evidence items (Argdown arguments with likelihoods) go to MODEL's stem + .evidence.yaml
    beside it. Nothing is written unless the result passes `argmap check`."""
    from argmap.interop.importer import import_file

    _no_stdout(output, "import writes a model file and, beside it, its evidence file; give -o NAME.yaml")
    for path in import_file(source, output, force=force):
        status(f"wrote {path}")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--target", "-t", "target_spec", required=True, metavar="CLAIM[=STATE]",
              help="The claim (and state) whose posterior is followed.")
@click.option("--evidence", "-e", multiple=True, metavar="PATH", help="Evidence files or folders to use instead.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "svg", "png", "pdf"]), default="table",
              show_default=True, help="svg/png/pdf: the tornado plot (with -o).")
@click.option("-o", "--output", metavar="FILE", help="Write the output to FILE instead of standard output (-).")
@click.option("--draws", type=click.IntRange(0, 10_000_000), default=10_000, show_default=True,
              help="Monte Carlo draws over all ranges at once (0: skip).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Monte Carlo draws.")
@click.option("--top", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Rows of the table/plot.")
@click.option("--width", metavar="3.5in|7in|LENGTH", help="The tornado plot's width (no text under 7 pt).")
@click.option("--font", metavar="FAMILY", help="The tornado plot's font family (default: Liberation Serif or the like).")
@_scale_out
def sensitivity(model: str, target_spec: str, evidence: Sequence[str], as_of: str | None, fmt: str,
                output: str | None, draws: int, seed: int, top: int, width: str | None, font: str | None = None,
                scheduler: str | None = None, workers: int | None = None, quiet: bool = False) -> None:
    """How the TARGET's posterior depends on every input of MODEL: exact one-way functions, a
    tornado over each input's range, where the conclusion holds, and all ranges at once."""
    from argmap.analysis import sensitivity as sens
    from argmap.output.figure import parse_width

    parse_width(width)
    from argmap.analysis.tipping import fixed_by

    plot = fmt in ("svg", "png", "pdf")
    _runner(scheduler, workers, used=bool(draws) and not plot,
            why="runs the Monte Carlo draws on Dask; " + ("--draws 0 draws none" if not draws else
                                                          f"--format {fmt} draws the tornado only"))
    loaded = _load(model, evidence)
    wanted = sens.target(loaded, target_spec)
    fixed = fixed_by(loaded, wanted.claim, as_of)
    if fixed:
        _say_fixed(wanted.claim, fixed, fmt, "sensitivity", output)
        return
    analysis = sens.sensitivity_analysis(loaded, wanted, as_of)
    wanted, results, base = analysis.target, list(analysis.results), analysis.posterior
    if fmt in ("svg", "png", "pdf"):
        from argmap.output.plots import tornado

        if not output:
            raise ArgmapError.at(Location("--format"), f"--format {fmt} writes a file; add -o FILE.{fmt} "
                                                       "(or -o - for standard output)")
        _write_output(output, tornado(results, wanted, base, fmt=fmt, top=top, width=width, font=font,
                                      title=loaded.title and f"Sensitivity of {wanted.claim}"))
        return
    from argmap.analysis.tipping import sentences, tipping_points

    tipping = tipping_points(loaded, wanted, as_of)
    carlo = None
    if draws:
        from argmap._progress import progress

        with _runner(scheduler, workers) as where:
            with progress("Monte Carlo", draws, "draws", quiet=quiet) as bar:
                carlo = sens.monte_carlo(loaded, wanted, as_of, draws=draws, seed=seed, progress=bar, runner=where)
            with progress("Monte Carlo (correlated)", draws, "draws", quiet=quiet) as bar:
                biased = sens.monte_carlo(loaded, wanted, as_of, draws=draws, seed=seed, progress=bar,
                                          correlated=True, runner=where)
    if fmt == "json":
        payload = {**analysis.to_dict(), "monte_carlo": None if carlo is None else carlo.to_dict(),
                   "monte_carlo_correlated": None if carlo is None else biased.to_dict(),
                   "tipping_points": tipping.to_dict()}
        import json

        text = json.dumps(payload, indent=2, ensure_ascii=False)
    else:
        text = _sensitivity_table(loaded, analysis, top, carlo)
        if carlo is not None:
            low, mid, high = biased.quantiles[wanted.claim][wanted.state]
            text += (f"\nThe same draws with the {biased.shared} evidence inputs biased together (correlated: one common "
                     f"position, all against or all for the conclusion): posterior {mid:.3f}, 95% interval "
                     f"[{low:.3f}, {high:.3f}]; the conclusion flips in {biased.flip_probability:.1%} of draws")
        text += "\n\nTipping points: " + " ".join(sentences(tipping))
    if output:
        _write_output(output, (text + "\n").encode("utf-8"))
    elif fmt == "json":
        data_bytes((text + "\n").encode("utf-8"))
    else:
        data(text)


def _say_fixed(claim: str, fixed, fmt: str, command: str, output: str | None) -> None:
    """A claim fixed by hard evidence has nothing to analyse: one line (or one JSON object), exit 0."""
    state, item = fixed
    line = (f"{claim} is fixed by hard evidence: '{item.id}' ({item.location}) observes {claim} = {state}; "
            f"no input, tempering or finding can move it, so {command} has nothing to show")
    if fmt == "json":
        import json

        text = json.dumps({"target": {"claim": claim, "state": state, "posterior": 1.0, "fixed_by": item.id,
                                      "file": item.location.file, "line": item.location.line},
                           "fixed": True, "message": line}, indent=2, ensure_ascii=False)
    else:
        text = line
    if output and fmt in ("table", "json"):  # a plot format writes no plot of nothing
        _write_output(output, (text + "\n").encode())
    elif fmt == "json":
        data_bytes((text + "\n").encode("utf-8"))
    else:
        data(text)


def _sensitivity_table(model, analysis, top: int, carlo) -> str:
    from argmap._terminal import terminal_width
    from argmap._text import prose
    from argmap.analysis.sensitivity import SENSITIVITY_HEAD

    width = terminal_width()
    wanted, base = analysis.target, analysis.posterior
    head = [f"Sensitivity of {wanted.claim}" + ("" if wanted.state == "true" else f" = {wanted.state}")
            + f": posterior {base:.3f}; conclusion: {analysis.conclusion}",
            f"{plural(len(analysis), 'input')}; each moved across its range (its word, its written [low, high], or for a "
            f"bare number ±{model.uncertainty:g} log-odds, the model's uncertainty)"]
    lines = prose(head, width) + [""]
    # narrow terminal: where each input is written goes under its row, long names wrap
    lines += text_table(SENSITIVITY_HEAD, [r.cells() for r in analysis.results[:top]], width=width, wrap={0},
                        below={SENSITIVITY_HEAD.index("written at")})
    if carlo is not None:
        low, mid, high = carlo.quantiles[wanted.claim][wanted.state]
        lines += ["", f"All ranges at once ({carlo.draws:,} Monte Carlo draws, seed {carlo.seed}): "
                      f"posterior {mid:.3f}, 95% interval [{low:.3f}, {high:.3f}]; the conclusion flips in "
                      f"{carlo.flip_probability:.1%} of draws"]
    return "\n".join(lines)


@main.command(name="cause")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--cause", "cause_spec", required=True, metavar="CLAIM[=STATE]",
              help="The cause X (and the state x it took; default true, or the most probable state).")
@click.option("--effect", "effect_spec", required=True, metavar="CLAIM[=STATE]",
              help="The effect Y (and the state y it took; default true, or the most probable state).")
@click.option("--contrast", metavar="STATE", help="For a multi-state cause: the state 'had X not been x' means "
                                                  "(default: the first other state; all are in the JSON).")
@click.option("--evidence", "-e", multiple=True, metavar="PATH", help="Evidence files or folders to use instead.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def cause_command(model: str, cause_spec: str, effect_spec: str, contrast: str | None, evidence: Sequence[str],
                  as_of: str | None, fmt: str) -> None:
    """Did the CAUSE make the difference to the EFFECT? P(effect | do(cause)) for every state, and
    the probabilities of necessity and sufficiency, with their sensitivity (docs/causal.md)."""
    from argmap.analysis.cause import cause
    from argmap.output.causal_text import cause_table

    result = cause(_load(model, evidence), cause_spec, effect_spec, as_of, contrast=contrast)
    if fmt == "json":
        json_data(result.to_dict())
    else:
        data(cause_table(result))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--target", "-t", "target_claim", required=True, metavar="CLAIM", help="The claim whose states to compare.")
@click.option("--evidence", "-e", multiple=True, metavar="PATH", help="Evidence files or folders to use instead.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def weigh(model: str, target_claim: str, evidence: Sequence[str], as_of: str | None, fmt: str) -> None:
    """Which items carry each comparison of TARGET's states: every item's weight (dB) on each pair,
    its leave-one-out, and each pair's total Bayes factor beside the naive sum."""
    from argmap.analysis.pairwise import weigh as run_weigh

    weighing = run_weigh(_load(model, evidence), target_claim, as_of)
    if fmt == "json":
        json_data(weighing.to_dict())
    else:
        from argmap.output.pairwise_text import weigh_table

        data(weigh_table(weighing))


@main.command(name="next")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--target", "-t", "target_claim", required=True, metavar="CLAIM[=STATE]",
              help="The claim to learn about (=STATE: follow that state, as sensitivity does).")
@click.option("--evidence", "-e", multiple=True, metavar="PATH", help="Evidence files or folders to use instead.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE.")
@click.option("--test-likelihoods", "test_likelihoods", metavar="TEST=P/Q,...",
              help="Likelihoods of the clues argmap designs, P(found | the state) / P(found | any other) "
                   "(default hoop=0.95/0.6,smoking_gun=0.3/0.03; straw_in_the_wind, doubly_decisive add tests).")
@click.option("--pair", metavar="A,B", help="Rank by the expected change of the odds between two states of "
                                            "the target (dB) instead of bits.")
@click.option("--set", "set_size", type=click.IntRange(1, 6), metavar="K",
              help="Also pick the best K clues to look for together, valued jointly (1–6).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--top", type=click.IntRange(1, 10_000), default=15, show_default=True)
def next_(model: str, target_claim: str, evidence: Sequence[str], as_of: str | None, test_likelihoods: str | None,
          pair: str | None, set_size: int | None, fmt: str, top: int) -> None:
    """What to look for next: expected items, hoop and smoking-gun clues argmap designs, and
    unobserved claims, ranked by how much finding them would tell about TARGET (mutual
    information, bits); what one new item would need to overturn the verdict."""
    from argmap.analysis import voi

    from argmap.analysis.tipping import fixed_by

    loaded = _load(model, evidence)
    tests = voi.parse_test_likelihoods(test_likelihoods)
    wanted = voi.parse_target(loaded, target_claim)
    rivals = voi.parse_pair(loaded, wanted.claim, pair)
    plan = voi.look_for_next(loaded, wanted, as_of, tests=tests, pair=rivals, set_size=set_size or 0)
    if fmt == "json":
        json_data(plan.to_dict())
    elif plan.fixed is not None:
        data(f"{plan.target} is fixed by hard evidence ({plan.target} = {plan.fixed}"
                   + (f", item {plan.fixed_by}" if plan.fixed_by else "") + "): there is nothing more to learn about it")
    else:
        data("\n".join(_next_table(plan, top)))


def _next_table(plan, top: int) -> list[str]:
    follow = plan.followed
    shown_state = plan.target if follow == "true" else f"{plan.target}={follow}"
    lines = [f"What to look for next about {plan.target}: P({shown_state}) now {plan.posterior[follow]:.3f}; "
             f"conclusion: {plan.conclusion}",
             "Hypothetical clues: " + ", ".join(f"{n.replace('_', ' ')} {p:g}/{q:g}" for n, (p, q) in plan.tests.items())
             + " = P(found | the state it is for) / P(found | any other state) — conventions (DESIGN §4), not findings",
             ""]
    unit = "bits"
    if plan.pair:
        a, b = plan.pair
        unit = f"E|Δ| {a}:{b}"
    rows = []
    for c in plan.candidates[:top]:
        score = f"{c.mutual_information:.4f}" if not plan.pair else _db(c.expected_shift).lstrip("+−")
        if c.if_found is not None or c.if_absent is not None:
            found = "—" if c.if_found is None else f"{c.if_found[follow]:.3f}"
            absent = "—" if c.if_absent is None else f"{c.if_absent[follow]:.3f}"
            p = f"{c.outcomes['found']:.2f}"
            extra = ""
            if plan.pair:
                extra = "; ".join(f"{o} {_db(d)}" for o, d in c.pair_shift.items())
        else:
            p = found = absent = ""
            extra = "; ".join(f"{o} ({c.outcomes[o]:.2f}) → {post[follow]:.3f}" for o, post in list(c.posteriors.items())[:4])
            if plan.pair:
                extra = "; ".join(f"{o} {_db(d)}" for o, d in c.pair_shift.items())
        mark = " ← " + " or ".join(c.overturns) + " overturns it" if c.overturns else ""
        rows.append((c.id, c.kind, score, p, found, absent, extra + mark))
    titles = ("candidate", "kind", unit, "P(found)", f"P({shown_state}) if found", "if absent",
              "Δ dB per outcome" if plan.pair else "outcomes (probability) → posterior")
    lines += text_table(titles, rows, right=(2, 3, 4, 5))
    lines.append("")
    lines.append("declared: evidence marked expected: true; hypothetical: a clue argmap designs (a test for one "
                 "state of a claim); claim: learning the claim's state directly (an upper bound)")
    if plan.flips:
        lines += ["", "What would flip it — the least weight one new item favouring a state (against every other "
                      "state alike) needs to make that state the most probable:"]
        for f in plan.flips:
            enough = (f"a {' or '.join(t.replace('_', ' ') for t in f.sufficient)} as designed above would do it"
                      if f.sufficient else "no single test as designed above is that strong")
            lines.append(f"  {plan.target} = {f.state}: {_db(f.decibels)} (likelihood ratio {f.likelihood_ratio:.3g}; {enough})")
    cf = plan.conclusion_flip
    if cf is not None and len(plan.states) > 2 and cf.conclusion.startswith("P("):  # else it is a flip above
        lines.append(f"  the conclusion “{cf.conclusion}”: one item of {_db(cf.decibels)} for {cf.state} "
                     "(against every other state alike) overturns it")
    if plan.set:
        unit = "dB" if plan.pair else "bits"
        lines += ["", f"The best {len(plan.set)} to look for together (greedy; each valued jointly with those before it):"]
        lines += text_table(("#", "candidate", f"alone ({unit})", f"set so far ({unit})", "gain"),
                            [(str(k + 1), s.id, f"{s.alone:.4f}", f"{s.total:.4f}", f"{s.gain:.4f}")
                             for k, s in enumerate(plan.set)], right=(2, 3, 4))
        lines.append(f"Together they tell {plan.set[-1].total:.4f} {unit}; counted as if independent their values "
                     f"would sum to {plan.set_independent_sum:.4f}.")
    return lines


def _db(x: float | None) -> str:
    from argmap.analysis.relations import format_decibels

    return "" if x is None else format_decibels(x)


@main.command()
@click.argument("case_or_model", metavar="MODEL")
@click.option("--bears-on", "bears_on", metavar="CLAIM", help="The claim the item is evidence about.")
@click.option("--text", metavar="TEXT", help="What was observed, in a sentence or two.")
@click.option("--date", metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD (leave out for an undated item).")
@click.option("--id", "item_id", metavar="ID", help="The item's id (default: from the first words of --text).")
@click.option("--likelihood", multiple=True, metavar="STATE=P",
              help="P(this observation | STATE), once per state of the claim (repeatable).")
@click.option("--lr", type=float, metavar="X", help="Likelihood ratio P(E|true)/P(E|false) (true/false claims).")
@click.option("--test", metavar="hoop|smoking_gun|straw_in_the_wind|doubly_decisive", help="A process-tracing test.")
@click.option("--for", "for_state", metavar="STATE", help="With --test: the state the test is for.")
@click.option("--observe", multiple=True, metavar="CLAIM=STATE", help="Hard evidence: the claim's state is known.")
@click.option("--absent", is_flag=True, help="Looked for and NOT found (observed: false).")
@click.option("--expected", is_flag=True, help="Not looked for yet: a candidate for `argmap next`, never counted.")
@click.option("--cite", multiple=True, metavar="KEY", help="A key of the model's bibliography (repeatable).")
@click.option("--url", metavar="URL", help="A link to the source.")
@click.option("--quote", metavar="TEXT", help="An excerpt from the source.")
@click.option("--page", metavar="PAGE", help="The page of the quote.")
@click.option("--source", metavar="ID", help="A shared source of the model's sources:.")
@click.option("--reliability", metavar="R", help="The item's own reliability: 0–1, a word or an Admiralty letter A–F.")
@click.option("--into", metavar="FOLDER", help="The evidence folder to write to (default: the model's first).")
@click.option("--dry-run", is_flag=True, help="Check and show the item and its effect; write nothing.")
@click.option("--no-input", is_flag=True, help="Never ask on the terminal; missing options are an error.")
def add(case_or_model: str, bears_on: str | None, text: str | None, date: str | None, item_id: str | None,
        likelihood: Sequence[str], lr: float | None, test: str | None, for_state: str | None,
        observe: Sequence[str], absent: bool, expected: bool, cite: Sequence[str], url: str | None,
        quote: str | None, page: str | None, source: str | None, reliability: str | None, into: str | None,
        dry_run: bool, no_input: bool) -> None:
    """Write a new, checked evidence item for MODEL (a model file or a case NAME) into a new file
    named from its date and id, and show how the belief in its claim moved.

    Without --bears-on/--text/a strength on a terminal, it asks for each field."""
    import attrs

    from argmap.workflow import journal as workflow

    model_path = workflow.resolve_model(case_or_model)
    loaded = _load(model_path)
    fields = workflow.ItemFields(id=item_id, text=text, date=date, bears_on=bears_on, likelihood=tuple(likelihood),
                                 lr=lr, test=test, for_state=for_state, observe=tuple(observe), absent=absent,
                                 expected=expected, cite=tuple(cite), url=url, quote=quote, page=page, source=source,
                                 reliability=reliability)
    interactive = bool(fields.missing()) and not no_input and sys.stdin.isatty()
    if interactive:
        given = any(v not in (None, (), False) for v in attrs.astuple(fields, recurse=False))
        try:
            workflow.ask_fields(loaded, fields, everything=not given)
        except click.Abort:
            status("\nnothing written")
            sys.exit(1)
    added = workflow.prepare_item(model_path, workflow.build_document(loaded, fields), into=into, model=loaded)
    if interactive or dry_run:
        data(added.text.rstrip())
    if dry_run:
        data("\n".join(workflow.movement_lines(added)))
        status(f"nothing written (--dry-run); it would go to {added.path}")
        return
    if interactive:
        data("\n".join(workflow.movement_lines(added)))
        if not click.confirm(f"Write {added.path}?", default=True):
            status("nothing written")
            return
    workflow.write_item(added)
    status(f"wrote {added.path}")
    if not interactive:
        data("\n".join(workflow.movement_lines(added)))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--log", "log_file", metavar="FILE", help="The belief log (default: reports/NAME/beliefs.csv).")
@click.option("--git", "from_git", is_flag=True,
              help="Recompute the beliefs at every commit that changed the model or its evidence instead.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="With --git: the most recent commits to read.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--plot", metavar="FILE", help="Also draw the evolution into FILE (.svg, .png or .pdf).")
@click.option("--width", metavar="3.5in|7in|LENGTH", help="The plot's width (no text under 7 pt), e.g. 3.5in or 7in.")
@click.option("--font", metavar="FAMILY", help="The plot's font family (default: Liberation Serif or the like).")
def history(model: str, log_file: str | None, from_git: bool, limit: int, fmt: str, plot: str | None,
            width: str | None, font: str | None) -> None:
    """How the belief in MODEL's hypotheses evolved: the belief log written by `update --log`, or
    (--git) every committed revision of the model and its evidence."""
    import os

    from argmap.workflow import journal as workflow
    from argmap.output.figure import parse_width
    from argmap.output.diagram import format_for_path

    parse_width(width)
    kind = format_for_path(plot) if plot else None
    if plot and kind not in ("svg", "png", "pdf"):
        raise ArgmapError.at(Location("--plot"), f"--plot {plot}: name a .svg, .png or .pdf file")
    if from_git:
        from argmap.workflow.revisions import git_history

        header, records = git_history(model, limit=limit)
        rows = [workflow.LogRow(r) for r in records]
        label = "date"
    else:
        path = log_file or workflow.log_path(_load(model))
        if not os.path.exists(path):
            raise ArgmapError.at(Location(path), f"no belief log at {path}; write one with `argmap update {model} "
                                                 f"--log` (each run adds a line), or read the git history with "
                                                 f"`argmap history {model} --git`")
        header, rows = workflow.read_log(path)
        label = "timestamp"
    if plot and kind:
        _write_output(plot, workflow.history_plot(header, rows, fmt=kind, label=label, width=width, font=font))
    if fmt == "json":
        json_data({"columns": header, "rows": [dict(r.values) for r in rows]})
    elif fmt == "csv":
        import csv

        from argmap._terminal import safe_cell

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")

        writer.writerow([safe_cell(c) for c in header])
        writer.writerows([[safe_cell(r.values.get(c, "")) for c in header] for r in rows])
        data(out.getvalue(), nl=False, raw=True)
    else:
        data(workflow.history_table(header, rows, label=label))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--from", "old", required=True, metavar="REV|PATH",
              help="The old side: a git revision (HEAD~1, a tag, a commit), or an evidence folder or file.")
@click.option("--to", "new", metavar="REV|PATH", help="The new side (default: the working tree).")
@click.option("--target", "-t", "targets", multiple=True, metavar="CLAIM",
              help="Follow these claims (default: the hypotheses and rivals; repeatable).")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE on both sides.")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table", show_default=True)
def diff(model: str, old: str, new: str | None, targets: Sequence[str], as_of: str | None, fmt: str) -> None:
    """What changed in MODEL's evidence (and model file) between two revisions, and how each
    change moved the hypotheses. A side that names an existing path is an evidence folder or
    file read with the current model; anything else is a git revision."""
    from argmap.workflow.revisions import diff as run_diff
    from argmap.workflow.revisions import diff_text, open_side

    with open_side(model, old, "--from") as before, open_side(model, new, "--to") as after:
        result = run_diff(before, after, targets=targets, as_of=as_of)
    if fmt == "json":
        json_data(result.to_dict())
    else:
        data(diff_text(result, markdown=fmt == "markdown"))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--output", "-o", "output_dir", metavar="DIR", help="Where outputs go (default: reports/NAME/).")
@click.option("--serve", is_flag=True, help="Also serve the HTML report on localhost; open pages reload live.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="With --serve: the port (0: any free port).")
@click.option("--format", "formats", default="html", show_default=True, metavar="html,md,tex",
              help="The report formats to keep current, separated by commas (the diagram always).")
def watch(model: str, output_dir: str | None, serve: bool, port: int, formats: str) -> None:
    """Keep MODEL's report and diagram current: on every change of the model, its evidence or its
    bibliography, check again and regenerate; a broken file shows its problems and the last good
    outputs stay. Ctrl-C stops."""
    import os
    import signal

    from argmap.workflow import watch as live
    from argmap.workflow.journal import report_dir

    if not os.path.isfile(model):
        raise ArgmapError.at(Location(model), f"no such file: {model}")
    chosen = tuple(dict.fromkeys(f.strip() for f in formats.split(",") if f.strip()))
    known = ("html", "md", "tex")
    for fmt in chosen:
        if fmt not in known:
            raise ArgmapError.at(Location("--format"), f"unknown report format '{fmt}'; write some of "
                                                       f"{', '.join(known)}, separated by commas")
    _no_stdout(output_dir, "watch keeps a folder of files current; give -o DIR")
    output_dir = output_dir or report_dir(model)
    status(f"argmap watch: {model} → {output_dir}{os.sep}")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it as cleanly as Ctrl-C
    live.run(model, output_dir, echo=status, formats=chosen, serve_port=port if serve else None)


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--output", "-o", metavar="DIR", help="The report's folder (default: reports/NAME/ of the project).")
@click.option("--format", "formats", default="html,md,tex", show_default=True, metavar="html,md,tex",
              help="Which reports to write, separated by commas.")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE (YYYY[-MM[-DD]]).")
@click.option("--templates", metavar="DIR", type=click.Path(file_okay=False),
              help="A folder of your own templates, used before argmap's (report.html.j2, report.md.j2, report.tex.j2 …).")
@click.option("--compare", "others", multiple=True, metavar="OTHER.yaml", type=click.Path(dir_okay=False),
              help="Add a section comparing MODEL with another model of the same question (repeatable).")
def report(model: str, output: str | None, formats: str, as_of: str | None, templates: str | None,
           others: Sequence[str]) -> None:
    """Write the full report of MODEL: HTML, Markdown and LaTeX with the diagram, beliefs, the belief
    trajectory, the evidence table, the ACH view, references and how to reproduce it."""
    from argmap.output.report import make_report, regenerate_command

    _no_stdout(output, "a report is several files (the text, its figures, report.json); give -o DIR")
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    loaded = _load(model)
    compared = [_load(other) for other in others]
    command = regenerate_command(model, as_of=as_of, output=output, formats=wanted, templates=templates)
    if others:
        import shlex

        command += "".join(f" --compare {shlex.quote(o)}" for o in others)
    missing: dict[str, str] = {}
    for path in make_report(loaded, output, wanted, as_of=as_of, templates=templates, command=command,
                            missing=missing, compare=compared):
        status(f"wrote {path}")
    for name, why in missing.items():  # the rest of the report stands: exit 0, but say what is not there
        shown = "the diagram inside report.html" if name == "diagram-screen.svg" else name
        status(f"argmap: {shown} not written: {why}")


@main.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL MODEL...", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE, in every model.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--top", type=click.IntRange(1, 10_000), default=30, show_default=True, help="Claims shown in the table.")
@_scale_out
def compare(models: Sequence[str], as_of: str | None, fmt: str, top: int, scheduler: str | None = None,
            workers: int | None = None, quiet: bool = False) -> None:
    """The same question under several MODEL files side by side: posteriors of the claims they
    share, where they differ most, and the Bayes factor between every pair of states of each
    shared multi-state claim under each model. Many models can be updated on Dask (--workers,
    --scheduler)."""
    from argmap._progress import progress
    from argmap.analysis.comparison import compare as side_by_side
    from argmap.analysis.distributed import updates

    if len(models) < 2:
        raise ArgmapError.at(Location("compare"), "compare needs at least two model files, e.g. "
                                                  "argmap compare models/mine.yaml models/sceptic.yaml")
    loaded = [_load(m) for m in models]
    with _runner(scheduler, workers) as where:
        with progress("Updating", len(loaded), "models", quiet=quiet) as bar:
            beliefs = updates(loaded, as_of, runner=where, progress=bar)
    result = side_by_side(loaded, as_of, beliefs=beliefs)
    if fmt == "json":
        json_data(result.to_dict())
        return
    data("\n".join(_comparison_table(result, top)))


def _comparison_table(result, top: int) -> list[str]:
    from argmap._terminal import terminal_width
    from argmap._text import prose

    width = terminal_width()
    lines = prose([f"{len(result.models)} models, " + (f"evidence dated up to {result.as_of}" if result.as_of
                                                        else "all evidence")
                   + f"; {len(result.shared)} shared claims, largest difference first"], width)
    rows = []
    for c in result.shared[:top]:
        shown = ("true",) if c.states == ("true", "false") else c.states
        for s in shown:
            name = c.id if s == "true" else f"{c.id}={s}"
            rows.append((name, *(f"{p[s]:.3f}" for p in c.posteriors),
                         f"{max(p[s] for p in c.posteriors) - min(p[s] for p in c.posteriors):.3f}"))
    names = list(result.models)
    if len(text_table(("claim", *names, "difference"), rows)[1]) > width:  # long paths: numbered, named above
        lines += [f"model {k}: {name}" for k, name in enumerate(names, 1)]
        names = [f"model {k}" for k in range(1, len(names) + 1)]
    lines.append("")
    lines += text_table(("claim", *names, "difference"), rows, width=width)
    multi = [c for c in result.shared if c.pairs]
    if multi:
        lines += ["", "Pairwise Bayes factors (posterior odds / prior odds; dB), per model:"]
        rows = [(c.id, f"{f.a} : {f.b}", *(f"{p[k].bayes_factor:.3g} ({p[k].decibels:+.1f} dB)" for p in c.pairs))
                for c in multi for k, f in enumerate(c.pairs[0])]
        lines += text_table(("claim", "states", *names), rows, width=width)
    notes = [f"only some models have these claims ({name}): {', '.join(ids)}" for name, ids in result.only_in.items()]
    if result.differing_states:
        notes.append(f"same id, different states (not compared): {', '.join(result.differing_states)}")
    return lines + prose(notes, width)


@main.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...", type=click.Path(dir_okay=False))
@click.option("--target", "-t", "target_spec", required=True, metavar="CLAIM[=STATE]",
              help="The claim (and state) whose posterior is followed in every model.")
@click.option("--leave-out", "leave_out", type=click.IntRange(0, 1_000), default=0, show_default=True, metavar="K",
              help="Also every subset of each model's counted evidence with K items left out (leave-k-out).")
@click.option("--as-of", "as_of", metavar="DATE", help="Count only evidence dated up to DATE, in every model.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--top", type=click.IntRange(1, 1_000_000), default=10, show_default=True,
              help="Variants shown per model in the table, the most moving first (JSON has all).")
@_scale_out
def sweep(models: Sequence[str], target_spec: str, leave_out: int, as_of: str | None, fmt: str, top: int,
          scheduler: str | None = None, workers: int | None = None, quiet: bool = False) -> None:
    """The TARGET's posterior in many MODEL files and many variants of their evidence: with all
    of it, and (--leave-out K) with every K of the counted items left out; how far each variant
    moves the target (dB) and whether it flips the conclusion (docs/cli.md)."""
    from argmap._progress import progress
    from argmap.analysis import sweep as sweeping
    from argmap.output.sweep_text import sweep_table

    prepared = sweeping.prepare([_load(m) for m in models], target_spec, as_of, leave_out=leave_out)
    with _runner(scheduler, workers) as where:
        with progress("Sweep", prepared.total, "variants", quiet=quiet) as bar:
            result = sweeping.run(prepared, runner=where, progress=bar)
    if fmt == "json":
        json_data(result.to_dict())
    else:
        data(sweep_table(result, top))


@main.command()
@click.argument("name")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def new(name: str, directory: str) -> None:
    """Scaffold models/NAME.yaml and evidence/NAME/ in DIRECTORY with an example of every construct."""
    from argmap.workflow.scaffold import scaffold

    for path in scaffold(name, directory):
        status(f"wrote {path}")


@main.command()
@click.option("--kind", type=click.Choice(["model", "evidence"]), default="model", show_default=True)
def schema(kind: str) -> None:
    """Print the JSON Schema of model files (or of evidence files with --kind evidence)."""
    from argmap.loader.schema import evidence_schema, model_schema

    json_data(model_schema() if kind == "model" else evidence_schema())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
