"""Runs the benchmark sections and yields the report lines as they are measured."""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import (
    loop_bench,
    parse_bench,
    real_bench,
    recommend_bench,
    speaker_bench,
    speech_bench,
    synthetic,
    wake_bench,
)

SECTIONS = ("parse", "speech", "synthetic", "loop", "speakers", "recommend", "wake", "real")
SHARED_AUDIO = Path("../shared/audio")


def machine_line() -> str:
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def _speech(count: int, quick: bool) -> Iterator[str]:
    from ..assistant import Assistant
    from ..config import AppSettings, SpeechSettings
    from ..shop.demo import load_demo
    from ..shop.engine import Shop
    from ..stt.base import SpeechToText
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        load_demo(Shop.open(db, create=True))
        assistants: dict[bool, Assistant] = {}

        def make_stt(use_domain: bool) -> SpeechToText:
            if use_domain not in assistants:
                assistants[use_domain] = Assistant(AppSettings(
                    db_path=db, speech=SpeechSettings(engine="pocketsphinx",
                                                      use_domain=use_domain)))
            return assistants[use_domain].stt

        make_stt(True)
        assistant = assistants[True]
        yield from speech_bench.run(make_stt, assistant.parser, assistant.shop.products(),
                                    count, quick)


def run_report(sections: Sequence[str], large_count: int, *, commands: int = 200,
               quick: bool = False, real: Path | None = None, ood: Sequence[Path] = (),
               real_limit: int | None = None, wake_dir: Path | None = None,
               tv_minutes: float = 12.0, engine: str = "auto", models_dir: Path = Path("models"),
               failures: Path | None = None) -> Iterator[str]:
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown bench section(s): {', '.join(unknown)}; "
                         f"choose from {', '.join(SECTIONS)}")
    yield machine_line()
    if "parse" in sections:
        for figures in parse_bench.run(large_count):
            yield from figures.lines()
    if "speech" in sections:
        yield from _speech(commands, quick)
    if "synthetic" in sections:
        yield from synthetic.run(engine, models_dir, 20 if quick else max(commands // 4, 20),
                                 failures=failures)
    if "loop" in sections:
        yield from loop_bench.run(models_dir, engine=engine)
    if "speakers" in sections:
        yield from speaker_bench.run(Path("../shared/audio/librispeech-speakers"),
                                     Path("models"))
    if "recommend" in sections:
        yield from recommend_bench.run()
    if "real" in sections:
        if real is None:
            yield "real speech: skipped (give --real DIR, a folder laid out like coffee-orders/)"
        elif not (real / "labels.json").is_file():
            yield f"real speech: skipped ({real} has no labels.json)"
        else:
            yield from real_bench.run(real, ood, limit=real_limit,
                                      snrs_db=(10.0,) if quick else (20.0, 10.0, 5.0),
                                      engine=engine, models_dir=models_dir)
    if "wake" in sections or wake_dir is not None:
        folder = wake_dir or SHARED_AUDIO / "wake-alexa"
        if folder.is_dir():
            yield from wake_bench.run(folder, folder.parent, tv_minutes)
        else:
            yield f"wake: skipped, no recordings in {folder} (give --wake DIR)"
