"""A model file → a running loop that keeps its report and diagram current as the files change,
and (optionally) a local web server that shows the HTML report and reloads it live.

The loop watches the model file, its evidence files and folders and its bibliography with
``watchfiles``. On every change it loads and checks the model again and, if all is well,
rewrites the outputs (atomically); if a file is broken it prints the problems (``file:line:
message``) and leaves the last good outputs in place. What it watches follows the model: a
folder added to ``evidence:`` is watched from the next successful check on.

The server (``--serve``) is the standard library's: files of the output folder, each HTML page
with a small script that listens to Server-Sent Events and reloads the page when the outputs
change, or shows the problems in a banner while a file is broken.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import http.server
import json
import os
import queue
import re
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from argmap._io import write_atomic_bytes
from argmap._text import plural
from argmap.errors import ArgmapError, Location, display_path
from argmap.model import Model

__all__ = ["LiveState", "Watcher", "serve", "watched_paths"]

EVIDENCE_SUFFIXES = (".yaml", ".yml")
DIAGRAM_NAME = "diagram.svg"
EVENTS_PATH = "/__argmap/events"
STATUS_PATH = "/__argmap/status"


# ----------------------------------------------------------------------------- what to watch


@attrs.frozen
class WatchedPaths:
    """Files whose change matters, and folders whose YAML files do."""

    files: frozenset[str]  # real paths: the model, the bibliography, evidence files named one by one
    folders: frozenset[str]  # real paths of evidence folders (watched with their subfolders)

    def matters(self, path: str) -> bool:
        real = os.path.realpath(path)
        if real in self.files:
            return True
        name = os.path.basename(real)
        if name.startswith((".#", ".argmap-")):
            return False
        # a new subfolder counts too: files written into it before its own watch was in place
        # would otherwise be missed
        if not name.endswith(EVIDENCE_SUFFIXES) and not os.path.isdir(real):
            return False
        return any(real == folder or real.startswith(folder + os.sep) for folder in self.folders)

    def roots(self) -> tuple[list[str], list[str]]:
        """(folders to watch with their subfolders, folders to watch alone): a file is watched
        through its folder, since editors often save by writing a new file and renaming it."""
        deep = sorted(f for f in self.folders if os.path.isdir(f))
        # a folder not made yet (a new case's evidence/NAME/) is seen appearing from its parent
        waiting = {_existing_parent(f) for f in self.folders if not os.path.isdir(f)}
        flat = sorted(({os.path.dirname(f) for f in self.files} | waiting) - set(deep))
        flat = [f for f in flat if os.path.isdir(f) and not any(f.startswith(d + os.sep) for d in deep)]
        return deep, flat


def _existing_parent(path: str) -> str:
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def watched_paths(model_path: str, model: Model | None) -> WatchedPaths:
    """The model file, and (when the model could be read) its evidence paths and bibliography."""
    files = {os.path.realpath(model_path)}
    folders: set[str] = set()
    if model is not None:
        for path in model.evidence_paths:
            if os.path.isdir(path) or not os.path.splitext(path)[1]:
                folders.add(os.path.realpath(path))
            else:
                files.add(os.path.realpath(path))
        if model.bibliography:
            files.add(os.path.realpath(model.bibliography))
    return WatchedPaths(frozenset(files), frozenset(folders))


# ----------------------------------------------------------------------------- live state


@attrs.define
class LiveState:
    """What the server tells pages: the outputs' version and the current problems, if any."""

    version: int = 0  # +1 on every successful regeneration
    serial: int = 0  # +1 on every change of this state
    problems: list[str] = attrs.field(factory=list)
    index_html: str = ""  # the page shown at / when there is no HTML report
    condition: threading.Condition = attrs.field(factory=threading.Condition, repr=False)
    stopping: bool = False

    def publish(self, *, ok: bool, problems: Sequence[str] = (), index_html: str | None = None) -> None:
        with self.condition:
            if ok:
                self.version += 1
                self.problems = []
                if index_html is not None:
                    self.index_html = index_html
            else:
                self.problems = list(problems)
            self.serial += 1
            self.condition.notify_all()

    def stop(self) -> None:
        with self.condition:
            self.stopping = True
            self.condition.notify_all()

    def as_json(self) -> str:
        return json.dumps({"version": self.version, "ok": not self.problems, "problems": self.problems})


# ----------------------------------------------------------------------------- regeneration


def _report_writer() -> Callable[..., list[str]] | None:
    """The report stage's writer (``argmap.output.report.make_report``), when this argmap has one."""
    try:
        from argmap.output.report import make_report
    except ImportError:
        return None
    return make_report


@attrs.define
class Watcher:
    """Checks the model and regenerates its outputs; prints what happened with a time."""

    model_path: str
    output_dir: str
    echo: Callable[[str], None]
    formats: tuple[str, ...] = ("html",)  # of the report; what a browser beside the editor shows
    state: LiveState = attrs.field(factory=LiveState)
    paths: WatchedPaths | None = None
    last_good: str = ""  # the time of the last good outputs
    # told the paths as soon as the model is read, before the slow writing, so that an edit saved
    # while the outputs are written is seen (and regenerated after)
    on_paths: Callable[[WatchedPaths], object] | None = None

    def regenerate(self, reason: str = "") -> bool:
        """One check and, if it passes, new outputs. Never raises for bad input."""
        from argmap.loader.reader import load_model
        from argmap.loader.validate import validate

        started = time.perf_counter()
        now = dt.datetime.now().strftime("%H:%M:%S")
        if reason:
            self.echo(f"{now} changed: {reason}")
        try:
            result = load_model(self.model_path)
            self.paths = watched_paths(self.model_path, result.model) if result.model or not self.paths else self.paths
            if self.on_paths is not None:
                self.on_paths(self.paths)
            problems = list(result.problems)
            if result.model is not None:
                problems += validate(result.model, skip=result.unreadable)
            if problems:
                raise ArgmapError(problems)
            assert result.model is not None
            model = result.model
            beliefs = model.update()  # evidence that cannot all hold is a problem too
            written = self._write(model, beliefs)
        except ArgmapError as exc:
            return self._broken([str(p) for p in exc.problems], now)
        except Exception as exc:  # a bug in argmap: say so, keep watching
            lines = traceback.format_exception(exc)
            self.echo("".join(lines).rstrip())
            return self._broken([f"argmap failed with a bug ({type(exc).__name__}: {exc}); please report it"], now)
        took = time.perf_counter() - started
        self.last_good = now
        self.echo(f"{now} ok — {plural(len(model.claims), 'claim')}, {plural(len(beliefs.counted), 'item')} counted; wrote "
                  f"{', '.join(display_path(p) for p in written)} in {took:.2f} s")
        self.state.publish(ok=True, index_html=_index_page(model, beliefs))
        return True

    def _broken(self, problems: list[str], now: str) -> bool:
        for line in problems:
            self.echo(line)
        kept = f"kept the last good outputs (from {self.last_good})" if self.last_good else "no outputs written yet"
        count = len(problems)
        self.echo(f"{now} {count} problem{'s' if count != 1 else ''}; {kept}")
        self.state.publish(ok=False, problems=problems)
        return False

    def _write(self, model: Model, beliefs: Any) -> list[str]:
        from argmap.output.diagram import diagram

        from concurrent.futures import ThreadPoolExecutor

        written = []
        report = _report_writer()
        diagram_path = os.path.join(self.output_dir, DIAGRAM_NAME)

        def beliefs_first(paths: list[str]) -> None:
            # the new beliefs are on the page before the slow sections are computed
            data = drawing.result()
            if diagram_path not in paths:
                write_atomic_bytes(diagram_path, data)
            at = dt.datetime.now().strftime("%H:%M:%S")
            self.echo(f"{at} beliefs written ({', '.join(display_path(p) for p in paths)}); robustness next")
            self.state.publish(ok=True, index_html=_index_page(model, beliefs))

        with ThreadPoolExecutor(max_workers=1) as pool:
            # Graphviz lays the map out in its own process while the report is computed here.
            drawing = pool.submit(diagram, model, format="svg", style="paper", beliefs=beliefs)
            if report is not None and self.formats:
                written += report(model, self.output_dir, self.formats, beliefs_first=beliefs_first)
            data = drawing.result()
        if diagram_path not in written:  # the report's own figure style, so both agree
            write_atomic_bytes(diagram_path, data)
            written.append(diagram_path)
        return written


def _index_page(model: Model, beliefs: Any) -> str:
    """The page at / when no HTML report is written: the diagram and the posterior table."""
    rows = []
    for cid, b in beliefs.claims.items():
        for state in ("true",) if b.is_binary else b.states:
            name = cid if state == "true" else f"{cid} = {state}"
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(model.claims[cid].role)}</td>"
                        f"<td>{b.prior[state]:.3f}</td><td>{b.posterior[state]:.3f}</td></tr>")
    title = html.escape(model.title or model.name)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:2em}td,th{padding:2px 10px;text-align:left}"
            "img{max-width:100%}</style></head><body>"
            f"<h1>{title}</h1><p><img src='{DIAGRAM_NAME}' alt='argument map'></p>"
            "<table><tr><th>claim</th><th>role</th><th>prior</th><th>posterior</th></tr>"
            + "".join(rows) + "</table></body></html>")


# ----------------------------------------------------------------------------- the watch loop


class _WatchThread(threading.Thread):
    """One ``watchfiles.watch`` over some folders, feeding changed paths into a queue."""

    def __init__(self, folders: Sequence[str], recursive: bool, changes: queue.Queue[str]):
        super().__init__(daemon=True)
        self.folders = list(folders)
        self.recursive = recursive
        self.changes = changes
        self.stop_event = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        import watchfiles

        try:
            for batch in watchfiles.watch(*self.folders, recursive=self.recursive, stop_event=self.stop_event,
                                          debounce=400, step=30, rust_timeout=100, yield_on_timeout=True,
                                          raise_interrupt=False, watch_filter=None):
                self.ready.set()  # the first (possibly empty) batch comes once the watches are in place
                for _, path in batch:
                    self.changes.put(path)
        except Exception as exc:  # a folder removed while watched, a permission error: say it and stop
            self.changes.put(f"\0{exc}")
        finally:
            self.ready.set()


class _Watches:
    def __init__(self, changes: queue.Queue[str]):
        self.changes = changes
        self.threads: list[_WatchThread] = []
        self.roots: tuple[list[str], list[str]] = ([], [])

    def follow(self, paths: WatchedPaths) -> None:
        """Watch ``paths``' folders (restarting only when they changed). The new watches are in
        place before the old ones stop, so no change falls between."""
        roots = paths.roots()
        if roots == self.roots and self.threads:
            return
        old = self.threads
        self.roots = roots
        deep, flat = roots
        self.threads = [_WatchThread(folders, recursive, self.changes)
                        for folders, recursive in ((deep, True), (flat, False)) if folders]
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.ready.wait(timeout=10)
        _stop(old)

    def stop(self) -> None:
        _stop(self.threads)
        self.threads = []


def _stop(threads: Sequence[_WatchThread]) -> None:
    for thread in threads:
        thread.stop_event.set()
    for thread in threads:
        thread.join(timeout=5)


def run(model_path: str, output_dir: str, *, echo: Callable[[str], None], formats: Sequence[str] = ("html",),
        serve_port: int | None = None, host: str = "127.0.0.1", settle: float = 0.05,
        stop: threading.Event | None = None) -> None:
    """Regenerate once, then on every change until Ctrl-C (or ``stop``); with ``serve_port``,
    also serve the outputs with live reload."""
    changes: queue.Queue[str] = queue.Queue()
    watches = _Watches(changes)
    watcher = Watcher(model_path, output_dir, echo, tuple(formats), on_paths=watches.follow)
    server = None
    try:
        watches.follow(watched_paths(model_path, None))  # the model's own folder, before it is first read
        watcher.regenerate()
        if serve_port is not None:
            server = serve(output_dir, watcher.state, port=serve_port, host=host)
            address, port = server.server_address[:2]
            echo(f"serving http://{address}:{port}/ (the page reloads when the outputs change)")
        assert watcher.paths is not None
        echo(f"watching {_describe(watcher.paths)}; Ctrl-C stops")
        while not (stop and stop.is_set()):
            try:
                first = changes.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            deadline = time.monotonic() + settle  # a save often touches several files at once
            while time.monotonic() < deadline:
                try:
                    batch.append(changes.get(timeout=max(deadline - time.monotonic(), 0.001)))
                except queue.Empty:
                    break
            failures = [p[1:] for p in batch if p.startswith("\0")]
            for failure in failures:
                echo(f"watching stopped for a folder: {failure}; restarting")
                watches.roots = ([], [])
            relevant = sorted({display_path(p) for p in batch if not p.startswith("\0") and watcher.paths.matters(p)})
            if relevant or failures:
                roots = watches.roots
                watcher.regenerate(", ".join(relevant) or "watched folders")
                if watches.roots != roots:
                    echo(f"watching {_describe(watcher.paths)}")
    except KeyboardInterrupt:
        pass
    finally:
        watches.stop()
        if server is not None:
            watcher.state.stop()
            server.shutdown()
            server.server_close()
        echo("stopped")


def _describe(paths: WatchedPaths) -> str:
    shown = [display_path(f) for f in sorted(paths.files)] + [display_path(f) + os.sep for f in sorted(paths.folders)]
    return ", ".join(shown)


# ----------------------------------------------------------------------------- the server

_LIVE_SCRIPT = """<script>
(function () {
  var version = %(version)d, banner = null;
  function show(problems) {
    if (!banner) {
      banner = document.createElement('pre');
      banner.id = 'argmap-problems';
      banner.style.cssText = 'position:fixed;top:0;left:0;right:0;margin:0;padding:10px 14px;z-index:99999;' +
        'background:#fde8e8;color:#7a0c0c;border-bottom:2px solid #c53030;font:13px/1.4 monospace;' +
        'white-space:pre-wrap;max-height:40vh;overflow:auto';
      document.body.appendChild(banner);
    }
    banner.textContent = 'argmap: the files have problems; this page shows the last good outputs.\\n\\n' +
      problems.join('\\n');
  }
  function hide() { if (banner) { banner.remove(); banner = null; } }
  var events = new EventSource('%(events)s');
  events.addEventListener('state', function (event) {
    var state = JSON.parse(event.data);
    if (!state.ok) { show(state.problems); return; }
    if (state.version !== version) { location.reload(); return; }
    hide();
  });
})();
</script>"""


def live_script(version: int) -> str:
    return _LIVE_SCRIPT % {"version": version, "events": EVENTS_PATH}


_CSP = re.compile(r"""(<meta\s+http-equiv=["']content-security-policy["']\s+content=)(["'])(.*?)\2""",
                  re.IGNORECASE | re.DOTALL)


def _allow_live_script(page: str, script: str) -> str:
    """A page's Content-Security-Policy, widened just enough for the live-reload script: its
    hash may run, and it may connect to this server (the file on disk keeps the strict policy)."""
    body = script[len("<script>"):-len("</script>")]
    digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()

    def widen(match: re.Match[str]) -> str:
        directives = [d.strip() for d in html.unescape(match.group(3)).split(";") if d.strip()]
        names = [d.split()[0].lower() for d in directives]
        source = "script-src" if "script-src" in names else "default-src" if "default-src" in names else None
        if source:
            i = names.index(source)
            directives[i] = directives[i].replace("'none'", "") + f" 'sha256-{digest}'"
        if "connect-src" in names:
            i = names.index("connect-src")
            directives[i] = directives[i].replace("'none'", "") + " 'self'"
        elif "default-src" in names:
            directives.append("connect-src 'self'")
        quote = match.group(2)
        policy = "; ".join(" ".join(d.split()) for d in directives).replace("&", "&amp;").replace("<", "&lt;")
        policy = policy.replace(quote, "&quot;" if quote == '"' else "&#x27;")
        return f"{match.group(1)}{quote}{policy}{quote}"

    return _CSP.sub(widen, page)


def _with_script(page: str, version: int) -> str:
    script = live_script(version)
    page = _allow_live_script(page, script)
    at = page.lower().rfind("</body>")
    return page[:at] + script + page[at:] if at >= 0 else page + script


MAX_CONNECTIONS = 32  # at once; more are closed at once instead of each holding a thread
IDLE_SECONDS = 20  # a connection that sends nothing for this long is closed


class _Handler(http.server.SimpleHTTPRequestHandler):
    state: LiveState
    folder: str
    timeout = IDLE_SECONDS  # socket timeout: a client that opens a connection and sends nothing is dropped

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, directory=self.folder, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        pass  # the watch loop's own lines are the log

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _refused(self) -> bool:
        """Refuse (and answer) a request from a page of another site that reached this server
        through DNS rebinding (its Host is that site's name), or a path with a NUL byte."""
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").strip().lower()
        allowed = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")} | {"127.0.0.1", "localhost", "[::1]"}
        if host not in allowed:
            self.send_error(403, "argmap serves only http://127.0.0.1 and http://localhost (Host header refused)")
            return True
        if "\0" in urllib.parse.unquote(self.path) or "%00" in self.path.lower():
            self.send_error(400, "a NUL byte in the path")
            return True
        return False

    def do_HEAD(self) -> None:  # noqa: N802 - the standard library's name
        if not self._refused():
            super().do_HEAD()

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        if self._refused():
            return
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            return self._events()
        if path == STATUS_PATH:
            return self._send(self.state.as_json().encode("utf-8"), "application/json")
        if path == "/":
            for name in ("report.html", "index.html"):
                if os.path.isfile(os.path.join(self.folder, name)):
                    return self._page(os.path.join(self.folder, name))
            return self._send(_with_script(self.state.index_html or "<html><body></body></html>",
                                           self.state.version).encode("utf-8"), "text/html; charset=utf-8")
        local = self.translate_path(path)
        if local.endswith((".html", ".htm")) and os.path.isfile(local):
            return self._page(local)
        return super().do_GET()

    def _page(self, file: str) -> None:
        from argmap._files import read_bytes

        try:  # a regular file, bounded; never a FIFO that would hold the thread
            page = read_bytes(file, track=False).decode("utf-8", "replace")
        except ArgmapError:
            self.send_error(404)
            return
        self._send(_with_script(page, self.state.version).encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, data: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        state = self.state
        seen = -1
        try:
            while True:
                with state.condition:
                    state.condition.wait_for(lambda: state.serial != seen or state.stopping, timeout=15)
                    if state.stopping:
                        return
                    changed, seen, message = state.serial != seen, state.serial, state.as_json()
                self.wfile.write(f"event: state\ndata: {message}\n\n".encode() if changed else b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):  # full: close at once rather than start a thread
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def serve(folder: str, state: LiveState, *, port: int, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """Serve ``folder`` on ``host:port`` in a background thread, with live reload; port 0 picks a
    free port (read it from ``server.server_address``)."""
    handler = type("Handler", (_Handler,), {"state": state, "folder": os.path.abspath(folder)})
    try:
        server = _Server((host, port), handler)
    except OSError as exc:
        raise ArgmapError.at(Location("--port"), f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose "
                                                 "another --port (0: any free port)") from None
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    return server
