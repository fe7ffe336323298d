"""Processes racing for a lock, made to meet: each touches a file to say where it is, and the
one holding the lock waits for its rival's file instead of sleeping and hoping the rival has
started (a loaded machine can take longer). The scripts the race tests run import this, from
the project folder they run in."""

import sys
import time
from pathlib import Path


def wait_for(path: Path, then: float = 0.0, limit: float = 60.0) -> None:
    """Until `path` exists, and `then` seconds more (for the rival to reach the lock it is
    about to ask for); the process exits with a message after `limit` seconds."""
    began = time.monotonic()
    while not path.exists():
        if time.monotonic() - began > limit:
            sys.exit(f"{path.name} never came")
        time.sleep(0.01)
    time.sleep(then)
