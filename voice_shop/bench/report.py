"""Runs the benchmark sections and yields the report lines as they are measured."""

from __future__ import annotations

import platform
from collections.abc import Iterator, Sequence

from . import parse_bench


def machine_line() -> str:
    import os
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def run_report(sections: Sequence[str], large_count: int) -> Iterator[str]:
    yield machine_line()
    known = {"parse"}
    unknown = [s for s in sections if s not in known]
    if unknown:
        raise ValueError(f"unknown bench section(s): {', '.join(unknown)}; "
                         f"choose from {', '.join(sorted(known))}")
    if "parse" in sections:
        for figures in parse_bench.run(large_count):
            yield from figures.lines()
