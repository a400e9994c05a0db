"""Model + beliefs + analyses → reports (Jinja2): HTML, Markdown and LaTeX.

Four modules, each importing only the ones listed before it:

    escape          user text and numbers → text safe in each format (Markdown, LaTeX; HTML is
                    Jinja's autoescaping), and the URL policy
    reference_list  a bibliography's cited entries → reference lists in every format
    numbers         build(model, as_of) → Report: every number a report shows, computed once from
                    the model's one network (beliefs, the trajectory, each item's weight and
                    leave-one-out effect, the ACH view, robustness, causal attribution), and its
                    provenance (input files and their hashes, versions, the command that remakes it)
    rendering       render(report, formats) → {name: bytes}: the templates
                    (``argmap/output/templates/``, or a user's folder first) and the figures;
                    write(files, folder) writes every file atomically; make_report does all three

The ACH view is a view of the network's numbers (:func:`argmap.analysis.weights.weight_of_evidence`),
never a second engine. User text is escaped for each format by default: HTML by Jinja's
autoescaping; Markdown and LaTeX by a ``finalize`` hook that escapes every value a template
prints unless the template marks it ``|raw``. Nothing here reads the clock: the same model,
evidence and argmap give the same report.
"""

from argmap.output.report.escape import latex_escape, latex_link, markdown_escape, safe_url
from argmap.output.report.numbers import FORMATS, Report, build, default_folder, regenerate_command
from argmap.output.report.reference_list import references
from argmap.output.report.rendering import make_report, render, scale_name, write

__all__ = [
    "FORMATS",
    "Report",
    "build",
    "default_folder",
    "latex_escape",
    "latex_link",
    "make_report",
    "markdown_escape",
    "references",
    "regenerate_command",
    "render",
    "safe_url",
    "scale_name",
    "write",
]
