"""End of speech to first reply audio, and peak memory, of the real ``listen`` process."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..audio import write_wav
from ..shop.demo import load_demo
from ..shop.engine import Shop
from ..speaker.identify import SpeakerIdentifier, SpeakerSettings
from ..tts import PiperTTS

SCRIPT = ("Okay Nabu, add two bags of rice", "Okay Nabu, what's in my cart",
          "Okay Nabu, how much are the strawberries", "Okay Nabu, add a pack of bacon",
          "Okay Nabu, remove the bacon", "Okay Nabu, any deals today",
          "Okay Nabu, add a dozen eggs", "Okay Nabu, what do you recommend",
          "Okay Nabu, I'm ready to check out", "no", "Okay Nabu, clear my cart",
          "Okay Nabu, undo that")


PI4_SLOWDOWN = 4.0
"""A Raspberry Pi 4 computes about four times slower than this machine's cores."""


def run(models_dir: Path, rounds: int = 2, engine: str = "auto") -> Iterator[str]:
    """The loop with one enrolled voice, so speaker identification runs per utterance."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "bench.db"
        shop = Shop.open(db, create=True)
        load_demo(shop)
        tts = PiperTTS()
        enroll = [tts.synthesize_all(t) for t in (
            "Good morning, this is my voice for the shopping assistant in our kitchen.",
            "I usually buy fresh fruit, bread, milk and coffee every week.",
            "Please remember how I sound so you know when I am talking to you.")]
        SpeakerIdentifier(shop, SpeakerSettings(models_dir=models_dir)).enroll("sam", enroll)
        shop.close()
        files = []
        for i, text in enumerate(SCRIPT * rounds):
            path = folder / f"{i:03d}.wav"
            write_wav(path, tts.synthesize_all(text))
            files.append(path)
        exe = Path(sys.executable).with_name("voice-shop")
        args = [str(exe), "listen", "--db", str(db), "--json", "--reply-dir",
                str(folder / "replies"), "--models-dir", str(models_dir.resolve()),
                "--engine", engine]
        for path in files:
            args += ["--wav", str(path)]
        # A fresh, small parent runs listen: a child's max RSS counts the pages it inherits
        # at fork, so measuring from this (large) process would overstate it.
        wrapper = ("import resource, subprocess, sys; "
                   "r = subprocess.run(sys.argv[1:]); "
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
                   "file=sys.stderr); sys.exit(r.returncode)")
        result = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True,
                                text=True, check=True)
        peak_mb = int(result.stderr.strip().splitlines()[-1]) / 1024
        events = [json.loads(line) for line in result.stdout.splitlines()]
        replies = [e for e in events if e["event"] == "reply"]
        named = sum(e["speaker"] == "sam" for e in events if e["event"] == "speaker")
        yield from latency_lines(replies, len(files), named)
        yield f"listen process peak memory (max RSS): {peak_mb:.0f} MB"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency_lines(replies: list[dict], utterances: int, named: int) -> Iterator[str]:
    """End of speech to first reply audio, the endpointer's wait included, and per stage."""
    total = [e["endpoint_wait_ms"] + e["first_audio_ms"] for e in replies]
    early = sum(e["endpoint_wait_ms"] < 600 for e in replies)
    yield (f"listen: {len(replies)} replies to {utterances} utterances; end of speech to "
           f"first reply audio, endpointing wait included: p50 {statistics.median(total):.0f} "
           f"ms, p95 {_p(total, 0.95):.0f} ms (ended early on a complete command: "
           f"{early}/{len(replies)}); utterances attributed to the enrolled voice: {named}")
    stages = ["endpoint_wait_ms", "first_audio_ms"]
    parts = [f"{s[:-3]} p50 {statistics.median(e[s] for e in replies):.0f} / p95 "
             f"{_p([e[s] for e in replies], 0.95):.0f}" for s in stages]
    for stage in ("decode", "understand", "speaker", "dialog", "tts_first_audio"):
        values = [e["stages_ms"][stage] for e in replies if stage in e["stages_ms"]]
        if values:
            parts.append(f"{stage} p50 {statistics.median(values):.0f} / p95 "
                         f"{_p(values, 0.95):.0f}")
    yield "listen per stage (ms): " + "; ".join(parts)
    # The endpointer's wait is time, not computing; the rest would take PI4_SLOWDOWN longer.
    pi = [e["endpoint_wait_ms"] + PI4_SLOWDOWN * e["first_audio_ms"] for e in replies]
    yield (f"Raspberry Pi 4 estimate (computing x{PI4_SLOWDOWN:.0f}): end of speech to first "
           f"reply audio p50 {statistics.median(pi):.0f} ms, p95 {_p(pi, 0.95):.0f} ms")
