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

SCRIPT = ("hey shop, add two bags of rice", "hey shop, what's in my cart",
          "hey shop, how much are the strawberries", "hey shop, add a pack of bacon",
          "hey shop, remove the bacon", "hey shop, any deals today",
          "hey shop, add a dozen eggs", "hey shop, what do you recommend",
          "hey shop, check out", "no", "hey shop, clear my cart", "hey shop, undo that")


def run(models_dir: Path, rounds: int = 2) -> Iterator[str]:
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
                str(folder / "replies"), "--models-dir", str(models_dir.resolve())]
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
        latencies = sorted(e["first_audio_ms"] for e in replies)
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        yield (f"listen: {len(replies)} replies to {len(files)} utterances; end of speech "
               f"(endpoint decided) to first reply audio p50 {statistics.median(latencies):.0f} "
               f"ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms (plus the endpointer's "
               f"600 ms of silence before it decides); utterances attributed to the enrolled "
               f"voice: {named}")
        yield f"listen process peak memory (max RSS): {peak_mb:.0f} MB"
