"""Child processes with a log file each, bounded readiness waits and an ordered stop.

Why not a fixed sleep anywhere: a loaded machine starts a service in 2 s or in 40 s; every
wait polls a condition until a deadline and fails with the log's tail, never guesses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
POLL_SECONDS = 0.2


class StartupError(RuntimeError):
    """A process exited or did not become ready in time; the message holds its log's tail."""


def eventually(
    check: Callable[[], bool], timeout: float, abort: Callable[[], bool] = lambda: False
) -> bool:
    """Poll `check` until it holds (True), `abort` holds or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if abort():
            return False
        time.sleep(POLL_SECONDS)
    return check()


def http_ok(url: str, headers: dict[str, str] | None = None) -> bool:
    """True when `url` answers 2xx within 2 s."""
    try:
        return httpx.get(url, headers=headers, timeout=2.0).is_success
    except httpx.HTTPError:
        return False


class Process:
    """One child process (`python -m MODULE ARGS...` by default) writing to `log_path`.

    `own_session`: the child gets a session of its own, so a Ctrl-C in the terminal reaches
    only the launcher, which then stops the children in order (the demo); the tests leave it
    off, so an interrupted pytest takes its children with it.
    """

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        log_path: Path,
        *,
        own_session: bool = False,
        append_log: bool = True,
        stop_timeout: float = 20.0,
    ) -> None:
        self.name = name
        self.args = [sys.executable, *args]
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.own_session = own_session
        self.append_log = append_log
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab" if self.append_log else "wb") as log:
            self.proc = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.own_session,
            )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL and reap (a crash, for the failover tests)."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        stop_all([self])

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def failure(self, what: str) -> StartupError:
        """An error naming this process, with the end of its log."""
        return StartupError(
            f"{self.name} {what} (log: {self.log_path})\n"
            f"----- last lines of {self.log_path} -----\n{self.log_tail()}"
        )

    def wait_http(self, url: str, timeout: float, headers: dict[str, str] | None = None) -> None:
        """Wait until `url` answers 2xx; raise `StartupError` if the process exits first."""
        if eventually(lambda: http_ok(url, headers), timeout, abort=lambda: not self.alive()):
            return
        if not self.alive():
            raise self.failure(f"exited during startup (code {self.proc and self.proc.poll()})")
        raise self.failure(f"did not answer on {url} within {timeout:.0f}s")


def stop_all(processes: Iterable[Process], log: Callable[[str], None] = lambda _: None) -> None:
    """SIGTERM them together, wait up to each one's stop timeout, SIGKILL what is left."""
    running = [p for p in processes if p.alive()]
    for p in running:
        log(f"stopping {p.name} (pid {p.pid})")
        p.signal(signal.SIGTERM)
    for p in running:
        assert p.proc is not None
        try:
            p.proc.wait(timeout=p.stop_timeout)
        except subprocess.TimeoutExpired:
            log(f"{p.name} ignored SIGTERM for {p.stop_timeout:.0f}s; sending SIGKILL")
            p.kill()


def run_step(name: str, args: Sequence[str], env: dict[str, str], log_path: Path) -> None:
    """Run `python ARGS...` to completion; raise `StartupError` with its log tail on failure."""
    step = Process(name, args, env, log_path, append_log=False)
    step.start()
    assert step.proc is not None
    try:
        code = step.proc.wait()
    except BaseException:  # Ctrl-C or SIGTERM: the step must not outlive the launcher
        stop_all([step])
        raise
    if code != 0:
        raise step.failure(f"failed (exit code {code})")
