"""Bounds chosen on purpose, in one place: what a client of `serve` may take.

Kept free of imports, so the command line can show the defaults without loading waitress.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServeLimits:
    header_timeout: int = 10  # seconds for a whole request to arrive
    channel_timeout: int = 60  # seconds a kept-alive connection may sit idle
    connection_limit: int = 1000  # connections open at once
    threads: int = 8  # requests answered at once
    max_body: int = 65536  # bytes of request body read at all (only GET and HEAD are served)
