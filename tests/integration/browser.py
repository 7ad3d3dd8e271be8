"""Headless Chromium (Debian's package) driven over the DevTools protocol, for page tests.

Collects console errors, uncaught exceptions and every requested URL while a page loads,
then takes a screenshot. Flags keep the browser from calling home (no sync, no component
updates, no background networking) so that any request seen comes from the page.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.polling import eventually

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-port=0",
    "--window-size=1200,900",
]


@dataclass
class PageLoad:
    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    screenshot: bytes = b""


async def _port(profile: Path, deadline: float) -> int:
    marker = profile / "DevToolsActivePort"

    def written() -> str:
        return marker.read_text().strip() if marker.exists() else ""

    text = await eventually(
        written,
        timeout=deadline - time.monotonic(),
        interval=0.1,
        message="chromium did not open its DevTools port",
    )
    return int(text.split()[0])


def _error_of(method: str, params: dict[str, Any]) -> str | None:
    if method == "Runtime.exceptionThrown":
        return json.dumps(params["exceptionDetails"])[:500]
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        return json.dumps(params.get("args"))[:500]
    if method == "Log.entryAdded" and params["entry"].get("level") == "error":
        return str(params["entry"].get("text"))
    return None


async def load_page(url: str, timeout_seconds: float = 90.0) -> PageLoad:
    """Open `url` in a fresh headless Chromium profile; wait for its load event."""
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: run `make report-tools`"
    deadline = time.monotonic() + timeout_seconds
    result = PageLoad()
    # Chromium's helper processes may still write to the profile for a moment after the
    # browser exits: a leftover file must not fail the test that used the page.
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        process = await asyncio.create_subprocess_exec(
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the helpers end with it
        )
        try:
            port = await _port(Path(profile), deadline)
            async with aiohttp.ClientSession() as http:
                targets = await (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
                page = next(t for t in targets if t["type"] == "page")
                async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    await _drive(ws, url, deadline, result)
        finally:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                _signal_group(process.pid, signal.SIGKILL)
                await asyncio.wait_for(process.wait(), 10)
    return result


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


async def _drive(
    ws: aiohttp.ClientWebSocketResponse, url: str, deadline: float, result: PageLoad
) -> None:
    ids = itertools.count(1)
    replies: dict[int, dict[str, Any]] = {}
    loaded = False

    async def call(method: str, **params: Any) -> dict[str, Any]:
        nonlocal loaded
        number = next(ids)
        await ws.send_json({"id": number, "method": method, "params": params})
        while number not in replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer to {method}")
            message = json.loads((await ws.receive(timeout=remaining)).data)
            if "id" in message:
                replies[message["id"]] = message.get("result", {})
                continue
            method_name, params_in = message["method"], message.get("params", {})
            if method_name == "Network.requestWillBeSent":
                result.urls.append(params_in["request"]["url"])
            elif method_name == "Page.loadEventFired":
                loaded = True
            error = _error_of(method_name, params_in)
            if error is not None:
                result.errors.append(error)
        return replies.pop(number)

    for domain in ("Network", "Runtime", "Log", "Page"):
        await call(f"{domain}.enable")
    await call("Page.navigate", url=url)

    async def page_loaded() -> bool:
        # A call lets the events that arrived meanwhile (the load event among them) be read.
        await call("Runtime.evaluate", expression="document.readyState")
        return loaded

    await eventually(
        page_loaded,
        timeout=deadline - time.monotonic(),
        interval=0,  # each call waits for its answer
        message=f"{url} did not load",
    )
    shot = await call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    result.screenshot = base64.b64decode(shot["data"])
