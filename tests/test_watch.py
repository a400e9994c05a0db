"""`argmap watch`, run as a user runs it: a real process watching real files. It regenerates the
outputs after a change (timed on the shipped case), shows a broken file's problems while keeping
the last good outputs, and with --serve serves pages that reload through Server-Sent Events."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from conftest import ROOT

ARGMAP = [sys.executable, "-m", "argmap"]
DIAGRAM = "diagram.svg"
try:  # the report stage; without it watch keeps the diagram only
    import argmap.output.report  # noqa: F401

    REPORT = "report.html"
except ImportError:  # pragma: no cover
    REPORT = None


class Watch:
    """`argmap watch` in a subprocess; its output lines arrive in a queue as they are printed."""

    def __init__(self, args: list[str], cwd: str):
        self.process = subprocess.Popen([*ARGMAP, "watch", *args], cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s; output:\n" + "\n".join(self.seen))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def since(self, count: int) -> list[str]:
        return self.seen[count:]

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "\n".join(self.seen)


@pytest.fixture
def shipped(tmp_path):
    """A copy of the shipped case (model, evidence, bibliography) to edit."""
    shutil.copytree(os.path.join(ROOT, "models"), tmp_path / "models")
    shutil.copytree(os.path.join(ROOT, "evidence"), tmp_path / "evidence")
    return tmp_path


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _wait_for_change(path: str, old: bytes, timeout: float = 90) -> float:
    """Seconds until ``path`` holds something other than ``old``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if os.path.exists(path) and _read(path) != old:
            return time.monotonic() - started
        time.sleep(0.01)
    raise AssertionError(f"{path} did not change within {timeout} s")


def _edit(path: str, old: str, new: str) -> None:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert old in text
    with open(path, "w", encoding="utf-8") as out:
        out.write(text.replace(old, new, 1))


S400 = "likelihood: {true: 0.6, false: 0.1}"  # evidence/russia_china/arms_transfers.yaml, s400_contract


def test_watch_regenerates_and_keeps_the_last_good_outputs(shipped):
    # the latency itself is measured by benchmarks/bench_commands.py, not asserted here: a timed
    # assertion fails on a loaded machine for reasons that are not the code
    out = str(shipped / "out")
    arms = str(shipped / "evidence" / "russia_china" / "arms_transfers.yaml")
    watch = Watch(["models/russia_china.yaml", "-o", out], cwd=str(shipped))
    try:
        watch.expect(r"ok — 14 claims, \d+ items counted; wrote .*diagram\.svg")
        watch.expect(r"^watching .*models/russia_china\.yaml.*evidence/russia_china/")
        diagram = os.path.join(out, DIAGRAM)
        outputs = [diagram] + ([os.path.join(out, REPORT)] if REPORT else [])
        first = [_read(path) for path in outputs]
        latencies = []
        for new in ("{true: 0.9, false: 0.05}", "{true: 0.3, false: 0.2}", "{true: 0.6, false: 0.1}"):
            before = [_read(path) for path in outputs]
            with open(arms, encoding="utf-8") as handle:
                current = re.search(r"(?<=  )likelihood: \{true: [\d.]+, false: [\d.]+\}(?=\n  # Moscow had held back)",
                                    handle.read()).group(0)
            _edit(arms, current, f"likelihood: {new}")
            # the time until every output (report and diagram) holds the new beliefs
            latencies.append(max(_wait_for_change(path, old) for path, old in zip(outputs, before)))
            watch.expect(r"ok — ")
        print(f"watch latency on the shipped case ({', '.join(map(os.path.basename, outputs))}): "
              f"{', '.join(f'{t:.2f}' for t in latencies)} s")
        assert [_read(path) for path in outputs] == first  # back where it started: the same bytes

        # A broken file: its problem is shown with file:line, the outputs stay as they were.
        good = _read(diagram)
        mark = len(watch.seen)
        _edit(arms, "date: 2014-11\n", "date: 2014-13\n")
        line = watch.expect(r"arms_transfers\.yaml:\d+: bad date '2014-13'")
        watch.expect(r"1 problem; kept the last good outputs \(from \d\d:\d\d:\d\d\)")
        assert "evidence/russia_china/arms_transfers.yaml" in line.string
        time.sleep(0.3)
        assert _read(diagram) == good
        # A YAML syntax error in the model file itself, then the fix.
        model = str(shipped / "models" / "russia_china.yaml")
        _edit(arms, "date: 2014-13\n", "date: 2014-11\n")
        watch.expect(r"ok — ")
        _edit(model, "argmap: 1\n", "argmap: 1\nclaims: [\n")
        watch.expect(r"models/russia_china\.yaml:\d+: ")
        watch.expect(r"kept the last good outputs")
        _edit(model, "argmap: 1\nclaims: [\n", "argmap: 1\n")
        watch.expect(r"ok — ")
        assert not any("Traceback" in line for line in watch.since(mark))
    finally:
        output = watch.stop()
    assert output.rstrip().endswith("stopped")


def test_watch_follows_new_files_and_folders_of_the_model(shipped):
    out = str(shipped / "out")
    watch = Watch(["models/russia_china.yaml", "-o", out], cwd=str(shipped))
    try:
        watch.expect(r"^watching ")
        # a new file in a watched folder counts; other files there (notes, editor backups) do not
        new_item = shipped / "evidence" / "russia_china" / "sub" / "new.yaml"
        new_item.parent.mkdir()
        (shipped / "evidence" / "russia_china" / "notes.txt").write_text("not evidence\n")
        new_item.write_text("- id: brand_new\n  text: x\n  bears_on: cooperation\n  lr: 2\n")
        watch.expect(r"changed: .*sub(/new\.yaml)?$")
        watch.expect(r"ok — 14 claims, 48 items counted")
        # a folder added to the model's evidence: list is watched from then on
        extra = shipped / "more"
        extra.mkdir()
        _edit(str(shipped / "models" / "russia_china.yaml"), "evidence: [../evidence/russia_china/]",
              "evidence: [../evidence/russia_china/, ../more/]")
        watch.expect(r"ok — ")
        watch.expect(r"^watching .*more/")
        (extra / "late.yaml").write_text("- id: late_item\n  text: y\n  bears_on: cooperation\n  lr: 3\n")
        watch.expect(r"changed: .*more/late\.yaml$")
        watch.expect(r"ok — 14 claims, 49 items counted")
        assert not any("notes.txt" in line for line in watch.seen)
    finally:
        watch.stop()


def test_watch_sees_the_evidence_folder_of_a_new_case_appear(tmp_path):
    done = subprocess.run([*ARGMAP, "new", "fresh"], cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shutil.move(str(tmp_path / "evidence" / "fresh"), str(tmp_path / "elsewhere"))  # no evidence folder yet
    watch = Watch(["models/fresh.yaml"], cwd=str(tmp_path))
    try:
        watch.expect(r"evidence path not found: .*evidence/fresh")
        watch.expect(r"problems; no outputs written yet")
        watch.expect(r"^watching ")
        shutil.move(str(tmp_path / "elsewhere"), str(tmp_path / "evidence" / "fresh"))
        watch.expect(r"ok — \d+ claims, [1-9]\d* items counted")
        watch.expect(r"^watching .*evidence/fresh/")
        assert (tmp_path / "reports" / "fresh" / DIAGRAM).exists()  # reports/NAME/ beside models/
    finally:
        watch.stop()


def _get(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get("Content-Type", ""), response.read().decode("utf-8")


def _events(url: str, into: queue.Queue, stop: threading.Event) -> None:
    """Read Server-Sent Events from ``url`` into a queue: (event, data) pairs."""
    with urllib.request.urlopen(url, timeout=30) as response:
        event, data = "", ""
        for raw in response:
            if stop.is_set():
                return
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif not line and event:
                into.put((event, json.loads(data)))
                event, data = "", ""


def _next_state(events: queue.Queue, timeout: float = 90) -> dict:
    name, data = events.get(timeout=timeout)
    assert name == "state"
    return data


def test_serve_shows_the_report_and_reloads_it_live(shipped):
    out = str(shipped / "out")
    arms = str(shipped / "evidence" / "russia_china" / "arms_transfers.yaml")
    watch = Watch(["models/russia_china.yaml", "-o", out, "--serve", "--port", "0"], cwd=str(shipped))
    stop = threading.Event()
    try:
        url = watch.expect(r"serving (http://127\.0\.0\.1:\d+/)").group(1)
        watch.expect(r"^watching ")
        kind, page = _get(url)
        assert kind.startswith("text/html")
        assert "EventSource('/__argmap/events')" in page and "Russia" in page
        if REPORT:  # the report itself, its strict policy widened for the live script only
            assert page == _get(url + REPORT)[1]
            assert re.search(r"connect-src 'self'", page) and "script-src 'sha256-" in page
            with open(os.path.join(out, REPORT), encoding="utf-8") as handle:
                assert "__argmap" not in handle.read()  # the file on disk is the report as written
        kind, svg = _get(url + DIAGRAM)
        assert kind == "image/svg+xml" and "<svg" in svg
        events: queue.Queue = queue.Queue()
        threading.Thread(target=_events, args=(url + "__argmap/events", events, stop), daemon=True).start()
        state = _next_state(events)  # on connecting: the current state
        assert state["ok"] and state["problems"] == []
        version = state["version"]
        assert f"var version = {version}," in _get(url)[1]

        # open pages reload twice: on the new beliefs, then with the robustness sections computed
        _edit(arms, S400, "likelihood: {true: 0.9, false: 0.05}")
        assert _next_state(events) == {"version": version + 1, "ok": True, "problems": []}
        assert _next_state(events) == {"version": version + 2, "ok": True, "problems": []}

        _edit(arms, "date: 2014-11\n", "date: 2014-13\n")
        state = _next_state(events)
        assert not state["ok"] and state["version"] == version + 2  # pages keep the last good outputs
        assert any("bad date '2014-13'" in p for p in state["problems"])
        assert json.loads(_get(url + "__argmap/status")[1])["ok"] is False

        _edit(arms, "date: 2014-13\n", "date: 2014-11\n")
        assert _next_state(events) == {"version": version + 3, "ok": True, "problems": []}
        assert _next_state(events) == {"version": version + 4, "ok": True, "problems": []}
    finally:
        stop.set()
        output = watch.stop()
    assert output.rstrip().endswith("stopped")


def test_watch_of_a_missing_model_or_a_busy_port_is_an_error(shipped):
    done = subprocess.run([*ARGMAP, "watch", "models/nothing.yaml"], cwd=str(shipped), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "no such file: models/nothing.yaml" in done.stderr
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([*ARGMAP, "watch", "models/russia_china.yaml", "-o", "out", "--serve", "--port",
                               str(port)], cwd=str(shipped), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"--port: cannot serve on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_live_script_is_allowed_by_a_strict_content_security_policy():
    import base64
    import hashlib

    from argmap.workflow.watch import _with_script

    page = ("<html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "script-src 'sha256-AAAA'; style-src 'unsafe-inline'; img-src data:\"></head><body>x</body></html>")
    served = _with_script(page, 7)
    script = re.search(r"<script>(.*?)</script>", served, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = re.search(r'content="([^"]*)"', served).group(1).replace("&#x27;", "'")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"] == ["'sha256-AAAA'", f"'sha256-{digest}'"]  # the page's own script still runs
    assert directives["connect-src"] == ["'self'"] and directives["default-src"] == ["'none'"]
    assert served.index("var version = 7,") < served.index("</body>")
    assert _with_script("<p>no body</p>", 1).endswith("</script>")


def _until(check, timeout: float = 20, what: str = "") -> None:
    """Poll ``check`` (a page may be between two documents: try again) until it is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except RuntimeError:  # the page was reloading while asked
            pass
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_a_browser_page_reloads_live_and_shows_the_problems(shipped):
    browser = pytest.importorskip("browser")  # the headless Chromium of the report tests
    arms = str(shipped / "evidence" / "russia_china" / "arms_transfers.yaml")
    watch = Watch(["models/russia_china.yaml", "-o", str(shipped / "out"), "--serve", "--port", "0"],
                  cwd=str(shipped))
    try:
        url = watch.expect(r"serving (http://127\.0\.0\.1:\d+/)").group(1)
        watch.expect(r"^watching ")
        with browser.Browser() as chromium:
            page = chromium.page(url)
            banner = "(document.getElementById('argmap-problems') || {}).textContent || ''"
            page.evaluate("window.argmapMarker = 1")  # gone once the page has reloaded
            _edit(arms, S400, "likelihood: {true: 0.9, false: 0.05}")
            # it reloads on the new beliefs, then again once robustness is computed
            whole = ("window.argmapMarker === undefined && document.readyState === 'complete' && "
                     "!document.body.innerText.includes('Being computed')")
            _until(lambda: page.evaluate(whole), timeout=90, what="the page reloads after a change")
            page.evaluate("window.argmapMarker = 2")
            _edit(arms, "date: 2014-11\n", "date: 2014-13\n")
            _until(lambda: "bad date '2014-13'" in page.evaluate(banner), timeout=90, what="the banner shows the problem")
            assert page.evaluate("window.argmapMarker") == 2  # the last good report stays on screen
            _edit(arms, "date: 2014-13\n", "date: 2014-11\n")
            _until(lambda: page.evaluate(whole), timeout=90, what="the page reloads once the file is fixed")
            assert page.evaluate(banner) == ""
            assert page.problems() == []  # no script error, no blocked request, no policy violation
    finally:
        watch.stop()


def test_an_edit_saved_while_the_first_outputs_are_written_is_seen(shipped, monkeypatch):
    """The watches are armed as soon as the model is read, not after the first (slow) writing."""
    from argmap.workflow import watch

    writing, go_on = threading.Event(), threading.Event()
    written_models = []
    write = watch.Watcher._write

    def slow_first_write(self, model, beliefs):
        written_models.append(model)
        if len(written_models) == 1:
            writing.set()
            go_on.wait(60)
        return write(self, model, beliefs)

    monkeypatch.setattr(watch.Watcher, "_write", slow_first_write)
    stop, lines = threading.Event(), []
    runner = threading.Thread(target=watch.run, args=(str(shipped / "models" / "russia_china.yaml"), str(shipped / "out")),
                              kwargs={"echo": lines.append, "formats": (), "stop": stop}, daemon=True)
    runner.start()
    try:
        assert writing.wait(60), lines
        _edit(str(shipped / "evidence" / "russia_china" / "arms_transfers.yaml"), S400,
              "likelihood: {true: 0.6, false: 0.3}")
        go_on.set()
        deadline = time.monotonic() + 60
        while len(written_models) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(written_models) == 2, lines
        assert any("changed: " in line and "arms_transfers.yaml" in line for line in lines), lines
    finally:
        go_on.set()
        stop.set()
        runner.join(30)
