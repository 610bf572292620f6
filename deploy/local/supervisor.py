"""`up`'s processes: each in a session of its own, its lines prefixed with its name, stopped in an order.

Each child gets its own session so that Ctrl-C in the terminal reaches `up` alone: `up` then stops the
services first (together) and Redis last, so no service logs reconnect warnings while it shuts down,
and says in one line per process how it ended. A second Ctrl-C kills whatever is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

COLOURS = ("36", "33", "35", "32", "34", "31")  # cyan, yellow, magenta, green, blue, red
NAME_WIDTH = 9


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    pump: asyncio.Task[None]
    stopping: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        return self.process.returncode is None


class Printer:
    def __init__(self, out: TextIO | None, colour: bool) -> None:
        self._out = out
        self._colour = colour
        self._assigned: dict[str, str] = {}

    def line(self, name: str, text: str) -> None:
        label = f"{name:<{NAME_WIDTH}}|"
        if self._colour:
            code = self._assigned.setdefault(name, COLOURS[len(self._assigned) % len(COLOURS)])
            label = f"\x1b[{code}m{label}\x1b[0m"
        out = self._out or sys.stdout  # None: whatever stdout is at the time (a test may capture it)
        out.write(f"{label} {text}\n")
        out.flush()


class Supervisor:
    def __init__(self, printer: Printer, *, stop_timeout_s: float = 20.0) -> None:
        self.printer = printer
        self.stop_timeout_s = stop_timeout_s
        self.children: dict[str, Child] = {}
        self._hurry = asyncio.Event()  # a second Ctrl-C: kill instead of waiting

    async def start(self, name: str, argv: list[str], env: Mapping[str, str], cwd: str) -> Child:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C is for `up`, which decides the order of the stop
        )
        child = Child(name, process, asyncio.create_task(self._pump(name, process)))
        self.children[name] = child
        return child

    async def _pump(self, name: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.printer.line(name, line.decode(errors="replace").rstrip("\n"))

    def hurry(self) -> None:
        self._hurry.set()

    async def first_exit(self, stop: asyncio.Event) -> Child | None:
        """The first child to end by itself, or None once `stop` is set."""
        waits = {asyncio.create_task(child.process.wait()): child for child in self.children.values()}
        stopped = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({stopped, *waits}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopped, *waits):
                task.cancel()
        ended = [child for task, child in waits.items() if task in done]
        return ended[0] if ended and stopped not in done else None

    async def stop(self, names: Iterable[str]) -> dict[str, int]:
        """SIGTERM to each named child at once, wait for all (killing any that outstay the timeout)."""
        chosen = [self.children[name] for name in names if name in self.children]
        for child in chosen:
            if child.running:
                child.stopping = True
                with contextlib.suppress(ProcessLookupError):  # it has just ended by itself
                    os.killpg(child.process.pid, signal.SIGTERM)
        codes = await asyncio.gather(*(self._ended(child) for child in chosen))
        return {child.name: code for child, code in zip(chosen, codes, strict=True)}

    async def _ended(self, child: Child) -> int:
        began = time.monotonic()
        wait = asyncio.create_task(child.process.wait())
        hurry = asyncio.create_task(self._hurry.wait())
        await asyncio.wait({wait, hurry}, timeout=self.stop_timeout_s, return_when=asyncio.FIRST_COMPLETED)
        hurry.cancel()
        killed = not wait.done()
        if killed:
            with contextlib.suppress(ProcessLookupError):  # it has just ended by itself
                os.killpg(child.process.pid, signal.SIGKILL)
        code = await wait
        await child.pump  # its last lines come before the line that says it stopped
        took = time.monotonic() - began
        if killed:
            self.printer.line("up", f"{child.name}: killed after {took:.1f} s (it did not stop when asked)")
            return 1
        clean = code == 0 or (child.stopping and code == -signal.SIGTERM)
        how = "stopped" if child.stopping else "had already ended"
        outcome = "exit 0" if clean else f"exit {code}"
        self.printer.line("up", f"{child.name}: {how}, {outcome}" + (f", in {took:.1f} s" if child.stopping else ""))
        return 0 if clean else (code if code > 0 else 1)


def stdout_printer() -> Printer:
    return Printer(None, colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
