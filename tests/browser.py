"""A headless Chromium driven over the DevTools protocol, for the HTML report tests.

Chromium is started with ``--remote-debugging-pipe``: the protocol's JSON messages go over two
pipes (fds 3 and 4 of the browser), so no websocket library and no network port are needed. The
page's exceptions, console messages and browser log entries (a blocked request, a
Content-Security-Policy violation) are all collected, so a test can require that there are none.

`scripts/setup.sh test` installs Debian's `chromium`; a test that needs it fails when it is
missing (set ARGMAP_ALLOW_MISSING_CLIENTS=1 to skip instead, see clients.py)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

from clients import missing

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe"]


def chromium() -> str:
    for name in (os.environ.get("ARGMAP_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    missing("Chromium", "run scripts/setup.sh test (apt-get install chromium)")
    raise AssertionError  # unreachable


class Browser:
    """One headless Chromium; ``page(url)`` opens a tab and waits for its load event."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="argmap-chromium-")
        self.log = tempfile.TemporaryFile()  # the browser's own messages (a pipe could fill up and block it)
        to_browser, from_browser = os.pipe(), os.pipe()
        # the browser's ends, moved to fds ≥ 10 so that a small trampoline can put them on 3 and 4
        # (without overwriting one with the other) and exec the browser
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser[0], from_browser[1])]
        os.close(to_browser[0])
        os.close(from_browser[1])
        trampoline = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
                      "[os.close(int(fd)) for fd in sys.argv[1:3]]; os.execvp(sys.argv[3], sys.argv[3:])")
        self.process = subprocess.Popen(
            [sys.executable, "-c", trampoline, *map(str, theirs), chromium(), *FLAGS,
             f"--user-data-dir={self.profile}", "about:blank"],
            pass_fds=theirs, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        for fd in theirs:
            os.close(fd)
        self.out = to_browser[1]
        self.inp = from_browser[0]
        self.buffer = b""
        self.counter = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        self.counter += 1
        message: dict[str, Any] = {"id": self.counter, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        reply = self._receive(lambda m: m.get("id") == self.counter, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, method: str, session: str, timeout: float = 60) -> dict:
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        return self._receive(lambda m: m.get("method") == method and m.get("sessionId") == session, timeout)

    def _receive(self, wanted, timeout: float) -> dict:
        end = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" not in message:
                    self.events.append(message)
                if wanted(message):
                    return message
            left = end - time.monotonic()
            ready, _, _ = select.select([self.inp], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.inp, 1 << 20)
            if not chunk:
                self.log.seek(0)
                raise RuntimeError("Chromium closed the DevTools pipe: " + self.log.read().decode("utf-8", "replace")[-2000:])
            self.buffer += chunk

    def page(self, url: str, *, width: int = 1280, height: int = 900, mobile: bool = False) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.send(domain, session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": mobile}, session=session)
        self.events = [e for e in self.events if e.get("sessionId") != session]
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return Page(self, session)

    def close(self) -> None:
        try:
            os.write(self.out, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=20)
        except Exception:
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self.out)
            os.close(self.inp)
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str):
        self.browser = browser
        self.session = session

    def evaluate(self, expression: str) -> Any:
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                         "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Every exception, console error or warning and browser log error or warning so far."""
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                found.append(f"console.{params['type']}: {[a.get('value', a.get('description')) for a in params['args']]}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                entry = params["entry"]
                found.append(f"log {entry['level']} ({entry.get('source')}): {entry['text']}")
        return found

    def screenshot(self, path: str, *, full_page: bool = False) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 16000), "scale": 1}
        data = base64.b64decode(self.browser.send("Page.captureScreenshot", params, session=self.session)["data"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
        return data

    def print_pdf(self) -> bytes:
        result = self.browser.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True},
                                   session=self.session, timeout=120)
        return base64.b64decode(result["data"])
