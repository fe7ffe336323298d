"""Running a command with a memory limit the test sets, in a process of its own: what an
input costs is measured there, never in the test runner, which would only slow down or die."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def run_bounded(args: list[str], megabytes: int, timeout: float = 60,
                **kwargs) -> subprocess.CompletedProcess:
    """`args` run with at most `megabytes` of address space (RLIMIT_AS): an input that makes
    the program allocate beyond it ends in a MemoryError (or a crash) there, not here."""
    limit = megabytes * 1024 * 1024

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run(args, preexec_fn=bound, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, **kwargs)


def cli_bounded(args: list[str], megabytes: int, **kwargs) -> subprocess.CompletedProcess:
    """The real command line (`python -m calendar_app ARGS`) under a memory limit."""
    return run_bounded([sys.executable, "-m", "calendar_app", *args], megabytes, **kwargs)
