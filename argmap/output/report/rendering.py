"""Report → files: the Jinja2 environment per format (escaping every value by default), the templates,
the figures (map, trajectory, tornado), template errors with their file and line, atomic writing."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from argmap.errors import ArgmapError, Location
from argmap.model import Model
from argmap.output.report.escape import (
    clean_text,
    decibels,
    latex_escape,
    latex_link,
    latex_url,
    markdown_escape,
    markdown_url,
    probability,
    quoted_url,
    ratio,
    safe_url,
    sort_key,
    state_words,
    tex_unicode,
)
from argmap.output.report.numbers import FORMATS, Report, build, completed, default_folder


# ----------------------------------------------------------------------------- templates
class Raw(str):
    """Text a Markdown or LaTeX template prints as it is (already in the target format)."""


def _raw(value: Any) -> Raw:
    return Raw("" if value is None else value)


def _environment(kind: str, templates: str | None, finalize: Callable[[Any], Any] | None = None) -> Any:
    """One Jinja environment per format and templates folder, kept for the process: it caches the
    compiled templates (compiling them costs more than rendering; ``watch`` renders again and again)
    and recompiles one whose file changed (Jinja's auto_reload). A template added to or removed
    from the user's folder gives a new environment: the choice of which file overrides which changed."""
    folder = os.path.abspath(templates) if templates else None
    listing = tuple(sorted(os.listdir(folder))) if folder else ()
    return _cached_environment(kind, folder, listing, finalize)


@functools.lru_cache(maxsize=16)
def _cached_environment(kind: str, templates: str | None, listing: tuple[str, ...],
                        finalize: Callable[[Any], Any] | None) -> Any:
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        PackageLoader,
        PrefixLoader,
        StrictUndefined,
    )

    package = PackageLoader("argmap.output", "templates")
    loaders: list[Any] = [FileSystemLoader(templates)] if templates else []
    # a user's template may extend the shipped one: {% extends "argmap/report.html.j2" %}
    loader = ChoiceLoader([*loaders, package, PrefixLoader({"argmap": package})])
    options: dict[str, Any] = {"loader": loader, "undefined": StrictUndefined, "trim_blocks": True,
                               "lstrip_blocks": True, "keep_trailing_newline": True}
    if kind == "html":
        env = Environment(autoescape=True, **options)
    elif kind == "md":
        env = Environment(autoescape=False, finalize=finalize, **options)
    else:
        env = Environment(
            autoescape=False, finalize=finalize,
            block_start_string=r"\BLOCK{", block_end_string="}",
            variable_start_string=r"\VAR{", variable_end_string="}",
            comment_start_string=r"\#{", comment_end_string="}",
            line_comment_prefix="%#", **options,
        )
    env.filters.update({
        "p": probability, "lr": ratio, "db": decibels, "scale_name": scale_name, "sortkey": sort_key,
        "words": state_words, "raw": _raw, "safe_url": safe_url, "oneline": _oneline,
        "markdown_url": markdown_url, "tex_url": lambda url: Raw(latex_url(url)),
        "tex_link": lambda url: Raw(latex_link(url)), "host": _host, "tex_id": _tex_id, "web_url": quoted_url, "code_block": _code_block,
    })
    return env


def scale_name(scale: str) -> str:
    """A verbal scale's id as a reader writes it: icd203 → ICD 203."""
    from argmap.scales import scale_name

    return scale_name(scale)


def _tex_id(text: Any) -> Raw:
    """An id, a path or a designed clue (``smoking_gun(cooperation=false)``) for \\texttt, with
    line breaks allowed after _ / ( = and , (typewriter text is never hyphenated, so a long id
    could otherwise stick out of its line)."""
    return Raw(_ID_BREAK.sub(r"\1\\allowbreak{}", latex_escape(text)))


_ID_BREAK = re.compile(r"(\\_|/|\(|=|,)(?!$)")


def _host(url: str) -> str:
    return (urllib.parse.urlsplit(url).netloc or url).removeprefix("www.")


def _oneline(text: Any) -> str:
    return " ".join(str(text).split())


def _code_block(text: Any) -> Raw:
    """A fenced code block that holds ``text`` whatever backticks it has."""
    text = clean_text(text)
    fence = "```"
    while fence in text:
        fence += "`"
    return Raw(f"{fence}sh\n{text}\n{fence}")


def _markdown_finalize(value: Any) -> Any:
    if isinstance(value, Raw):
        return value
    return markdown_escape("" if value is None else value)


class _LatexFinalize:
    """Escapes every value a LaTeX template prints; remembers which Unicode fallbacks it used."""

    def __init__(self) -> None:
        self.fallbacks: set[str] = set()

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Raw):
            return tex_unicode(value, self.fallbacks)
        return latex_escape("" if value is None else value, self.fallbacks)


_LATEX_FINALIZE = _LatexFinalize()  # one, so that the LaTeX environment (and its compiled templates) is kept


def _template_error(exc: Exception, templates: str | None) -> ArgmapError:
    from jinja2 import TemplateError

    where = getattr(exc, "filename", None) or getattr(exc, "name", None) or templates or "template"
    line = getattr(exc, "lineno", 0) or 0
    what = type(exc).__name__ if isinstance(exc, TemplateError) else "error"
    return ArgmapError.at(Location(where, line), f"{what} in a report template: {exc}; fix the template "
                                                 "(or remove it from --templates to use argmap's own)")


def _template_frame(exc: BaseException, templates: str | None) -> Location | None:
    """The file:line of the innermost frame of ``exc`` in a template of the ``templates`` folder
    (Jinja puts template frames, with their lines, into the traceback), or None."""
    if not templates:
        return None
    root = os.path.realpath(templates) + os.sep
    found = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if os.path.realpath(name).startswith(root):
            found = Location(name, tb.tb_lineno)
        tb = tb.tb_next
    return found


# ----------------------------------------------------------------------------- rendering
def render(report: Report, formats: Sequence[str] = FORMATS, *, templates: str | None = None,
           missing: dict[str, str] | None = None, figures: _Figures | None = None) -> dict[str, bytes]:
    """Every file of the report in ``formats``, by file name; report.json always. A figure that
    cannot be drawn here is left out (the text says so in its place) and put in ``missing``,
    name → why."""
    import json

    for fmt in formats:
        if fmt not in FORMATS:
            from argmap.errors import did_you_mean

            raise ArgmapError.at(Location("--format"), f"unknown report format '{fmt}'{did_you_mean(fmt, FORMATS)}; "
                                 f"write some of {', '.join(FORMATS)}, separated by commas")
    if templates is not None and not os.path.isdir(templates):
        raise ArgmapError.at(Location("--templates"), f"{templates} is not a folder; give the folder that holds "
                             "your report.html.j2, report.md.j2 or report.tex.j2")
    from jinja2 import TemplateError

    files: dict[str, bytes] = {}
    if figures is None:  # figures of an earlier rendering of the same beliefs are reused (make_report's two steps)
        figures = _Figures(report, report.beliefs if report.beliefs is not None else report.model.update(as_of=report.as_of))
    drawn: dict[str, bytes | None] = {}
    try:
        if "html" in formats:
            files["report.html"] = _render_html(report, figures, templates).encode("utf-8")
        if "md" in formats:
            drawn |= {name: figures.get(name) for name in ("diagram.svg", "trajectory.svg")}
            env = _environment("md", templates, _markdown_finalize)
            context = _context(report) | {"missing": figures.missing}
            files["report.md"] = env.get_template("report.md.j2").render(**context).encode("utf-8")
        if "tex" in formats:
            drawn |= {name: figures.get(name) for name in ("diagram.pdf", "trajectory.pdf")}
            finalize = _LATEX_FINALIZE
            finalize.fallbacks = set()  # the Unicode fallbacks of this rendering only
            env = _environment("tex", templates, finalize)
            context = _context(report) | {"fallbacks": finalize.fallbacks, "missing": figures.missing}
            files["beliefs-table.tex"] = env.get_template("beliefs-table.tex.j2").render(**context).encode("utf-8")
            files["beliefs-table-column.tex"] = env.get_template("beliefs-table-column.tex.j2").render(
                **context).encode("utf-8")
            files["report.tex"] = env.get_template("report.tex.j2").render(**context).encode("utf-8")
    except TemplateError as exc:
        raise _template_error(exc, templates) from None
    except Exception as exc:  # {{ 1/0 }}, a type error… in a user's template is bad input, not a bug
        located = _template_frame(exc, templates)
        if located is None:
            raise
        raise ArgmapError.at(located, f"{type(exc).__name__} in a report template: {exc}; fix the template "
                                      "(or remove it from --templates to use argmap's own)") from None
    files |= {name: data for name, data in drawn.items() if data is not None}
    if missing is not None:
        missing.update(figures.missing)
    files["report.json"] = (json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return files


class _Figures:
    """The report's figures, each drawn once when first asked for."""

    def __init__(self, report: Report, beliefs: Any):
        self.report = report
        self.beliefs = beliefs
        self.made: dict[str, bytes | None] = {}
        self.missing: dict[str, str] = {}  # a figure that cannot be drawn on this machine → why
        self.steps: list[Any] | None = None

    def get(self, name: str) -> bytes | None:
        if name not in self.made:
            try:
                self.made[name] = self._draw(name)
            except ArgmapError as exc:  # e.g. no Graphviz at all: the rest of the report still stands
                self.made[name] = None
                self.missing[name] = "; ".join(p.message for p in exc.problems)
        return self.made[name]

    def _draw(self, name: str) -> bytes:
        from argmap.engine.infer import trajectory
        from argmap.output import plots
        from argmap.output.diagram import diagram

        stem, fmt = name.rsplit(".", 1)
        report = self.report
        if stem == "diagram":
            return diagram(report.model, format=fmt, style="paper", evidence="summary", beliefs=self.beliefs,
                           width=FIGURE_WIDTH)
        if stem == "diagram-screen":
            return diagram(report.model, format=fmt, style="screen", evidence="summary", beliefs=self.beliefs,
                           width=FIGURE_WIDTH)
        if stem == "diagram-screen-narrow":  # the phone view: one journal column wide
            return diagram(report.model, format=fmt, style="screen", evidence="summary", beliefs=self.beliefs,
                           width=NARROW_WIDTH)
        if self.steps is None:  # once for the report's trajectories (7 in svg and pdf, 3.5 in svg)
            self.steps = trajectory(report.model, report.as_of, claims=sorted({s.claim for s in report.series}))
        steps = self.steps
        series = [(s.claim, s.state, s.label) for s in report.series]
        # no title: the report's section heading is the figure's title
        return plots.trajectory(steps, series, fmt=fmt, title=None,
                                width=NARROW_WIDTH if stem == "trajectory-narrow" else FIGURE_WIDTH)


FIGURE_WIDTH = "7in"  # the report's figures fit a two-column page's full text width
NARROW_WIDTH = "3.5in"  # the map in the HTML report on a phone (one column of a journal page)


def _context(report: Report) -> dict[str, Any]:
    return {"report": report, "r": report, "trajectory_labels": trajectory_labels(len(report.trajectory))}


_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def trajectory_labels(steps: int, width: str = FIGURE_WIDTH) -> str:
    """What the trajectory figure's x axis labels, for its caption (the figure's own rule:
    plots.trajectory_labels_every at ``width``)."""
    from argmap.output.plots import trajectory_labels_every

    every = trajectory_labels_every(steps, width)
    if every == 1:
        return "every step is labelled by the item that caused it and its date"
    return (f"every step is a tick, and every {_ORDINALS.get(every, f'{every}th')} one is labelled by the item "
            "that caused it and its date")


def _render_html(report: Report, figures: _Figures, templates: str | None) -> str:
    from markupsafe import Markup

    env = _environment("html", templates)
    script = env.get_template("report.js").render()
    style = env.get_template("report.css").render()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    context = _context(report) | {
        "script": Markup(script), "style": Markup(style.replace("</", "<\\/")),
        "script_hash": f"sha256-{digest}",
        "diagram_svg": _inline_or_why(figures, "diagram-screen.svg", "diagram",
                                      "The argument map: every claim with its prior and posterior"),
        "diagram_narrow_svg": _inline_or_why(figures, "diagram-screen-narrow.svg", "diagram-narrow",
                                             "The argument map, laid out for a narrow screen"),
        "trajectory_svg": _inline_or_why(figures, "trajectory.svg", "trajectory",
                                         "The belief trajectory: each hypothesis' posterior after each item"),
        "trajectory_narrow_svg": _inline_or_why(figures, "trajectory-narrow.svg", "trajectory-narrow",
                                                "The belief trajectory, laid out for a narrow screen"),
        "trajectory_labels_narrow": trajectory_labels(len(report.trajectory), NARROW_WIDTH),
        "missing": figures.missing,
    }
    return env.get_template("report.html.j2").render(**context)


def _inline_or_why(figures: _Figures, name: str, prefix: str, label: str) -> Any:
    from markupsafe import Markup, escape

    data = figures.get(name)
    if data is None:
        return Markup('<p class="missing-figure">This figure could not be drawn here: ') + escape(
            figures.missing[name]) + Markup("</p>")
    return Markup(inline_svg(data, prefix, label))


_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"


def inline_svg(data: bytes, prefix: str, label: str) -> str:
    """An SVG file → markup to put inside HTML: no XML prolog, every id prefixed (two figures
    on one page cannot clash), the figure's own CSS scoped to it, sized by CSS."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    root = ET.fromstring(data)
    ids = {el.get("id") for el in root.iter() if el.get("id")}

    def renamed(value: str) -> str:
        value = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})" if m.group(1) in ids else m.group(0), value)
        return value

    for el in root.iter():
        if el.get("id"):
            el.set("id", f"{prefix}-{el.get('id')}")
        for attribute in list(el.attrib):
            value = el.attrib[attribute]
            if attribute in ("href", f"{{{_XLINK}}}href") and value.startswith("#") and value[1:] in ids:
                el.set(attribute, f"#{prefix}-{value[1:]}")
            elif "url(#" in value:
                el.set(attribute, renamed(value))
        if el.tag == f"{{{_SVG}}}style" and el.text:
            el.text = re.sub(r"(^|})\s*([^{}]+)\{", lambda m: f"{m.group(1)}#{prefix} {m.group(2).strip()}{{",
                             renamed(el.text))
    root.set("id", prefix)
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("class", "figure-svg")
    return ET.tostring(root, encoding="unicode")


# ----------------------------------------------------------------------------- writing
def write(files: Mapping[str, bytes], folder: str) -> list[str]:
    """Write each file into ``folder`` atomically (a reader never sees half a file; a failed run
    leaves the previous file); returns the paths written."""
    from argmap._io import write_atomic_bytes

    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ArgmapError.at(Location(folder), f"{folder} is a file; -o names the folder the report is written to")
    from argmap._files import refuse_input

    for name in files:  # all checked before the first is written
        refuse_input(os.path.join(folder, name))
    written = []
    for name, data in files.items():
        path = os.path.join(folder, name)
        try:
            write_atomic_bytes(path, data)
        except OSError as exc:
            raise ArgmapError.at(Location(folder), f"cannot write {path}: {exc.strerror or exc}; choose an -o folder "
                                                   "you can write to") from None
        written.append(path)
    return written


def make_report(model: Model, folder: str | None = None, formats: Iterable[str] = FORMATS, *,
                as_of: Any = None, templates: str | None = None, command: str | None = None,
                missing: dict[str, str] | None = None, compare: Sequence[Model] = (),
                beliefs_first: Callable[[list[str]], None] | None = None) -> list[str]:
    """Build, render (everything in memory first) and write a report; the paths written. Figures
    that cannot be drawn here go into ``missing`` (name → why) instead.

    With ``beliefs_first`` (watch), the report is written twice: first without its slow sections
    (robustness, causal claims; the report says they are being computed), handed to
    ``beliefs_first`` with the paths written, then whole, with the same figures."""
    formats = tuple(dict.fromkeys(formats))
    folder = folder or default_folder(model.path)
    figures = None
    if beliefs_first is not None:
        quick = build(model, as_of, command=command, compare=compare, robustness=False, pending=True)
        figures = _Figures(quick, quick.beliefs)
        beliefs_first(write(render(quick, formats, templates=templates, missing=missing, figures=figures), folder))
        report = completed(quick)  # the same beliefs and figures; only the slow sections are added
    else:
        report = build(model, as_of, command=command, compare=compare)
    files = render(report, formats, templates=templates, missing=missing, figures=figures)
    return write(files, folder)
