"""End of speech to first reply audio, and peak memory, of the real ``listen`` process; and
the peak memory of a real ``serve`` process answering the same commands over Wyoming."""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..audio import read_audio, write_wav
from ..shop.demo import load_demo
from ..shop.engine import Shop
from ..speaker.identify import SpeakerIdentifier, SpeakerSettings
from ..tts import PiperTTS

WAKE = "Okay Nabu, "
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
        result = subprocess.run([sys.executable, "-c", _PEAK_OF_CHILD, *args],
                                capture_output=True, text=True, check=True)
        peak_mb = int(result.stderr.strip().splitlines()[-1]) / 1024
        events = [json.loads(line) for line in result.stdout.splitlines()]
        replies = [e for e in events if e["event"] == "reply"]
        named = sum(e["speaker"] == "sam" for e in events if e["event"] == "speaker")
        yield from latency_lines(replies, len(files), named)
        yield f"listen process peak memory (max RSS): {peak_mb:.0f} MB"
        commands = []  # a satellite sends what follows its wake word
        for i, text in enumerate(SCRIPT * rounds):
            path = folder / f"command-{i:03d}.wav"
            write_wav(path, tts.synthesize_all(text.removeprefix(WAKE)))
            commands.append(path)
        yield serve_line(exe, db, commands, models_dir)


_PEAK_OF_CHILD = (
    "import resource, signal, subprocess, sys; "
    "p = subprocess.Popen(sys.argv[1:]); "
    "signal.signal(signal.SIGTERM, lambda *_: p.terminate()); "
    "code = p.wait(); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(0 if code in (0, -signal.SIGTERM) else code)")
"""A fresh, small parent runs the process measured: a child's max RSS counts the pages it
inherits at fork, so measuring from this (large) process would overstate it."""
SERVE_START_S = 180.0
"""Longest wait for ``serve`` to load its models and take connections."""


def serve_line(exe: Path, db: Path, files: list[Path], models_dir: Path) -> str:
    """``serve`` on loopback: each file transcribed, its transcript handled and the reply
    synthesised, as Home Assistant asks; then its peak memory."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    args = [str(exe), "serve", "--host", "127.0.0.1", "--wyoming-port", str(port),
            "--http-port", "0", "--db", str(db), "--models-dir", str(models_dir.resolve()),
            "--log-level", "warning"]
    proc = subprocess.Popen([sys.executable, "-c", _PEAK_OF_CHILD, *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(port, proc)
        heard = asyncio.run(_converse(port, files))
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    peak_mb = int(err.strip().splitlines()[-1]) / 1024
    return (f"serve process peak memory (max RSS): {peak_mb:.0f} MB after {len(files)} "
            f"Wyoming transcriptions ({heard} with words), handles and syntheses")


def _wait_for(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + SERVE_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve ended (exit {proc.returncode}) before it took connections")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"serve took no connection on port {port} in {SERVE_START_S:.0f} s")


async def _converse(port: int, files: list[Path]) -> int:
    """Each file as a satellite sends it; returns how many came back with words."""
    from wyoming.asr import Transcribe, Transcript
    from wyoming.audio import AudioChunk, AudioStart, AudioStop
    from wyoming.client import AsyncTcpClient
    from wyoming.handle import Handled, NotHandled
    from wyoming.tts import Synthesize

    heard = 0
    for path in files:
        samples = read_audio(path)
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(Transcribe(language="en").event())
            await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            for at in range(0, len(samples), 1024):
                await client.write_event(AudioChunk(
                    rate=16000, width=2, channels=1,
                    audio=samples[at:at + 1024].astype("<i2").tobytes()).event())
            await client.write_event(AudioStop().event())
            answer = await client.read_event()
        text = Transcript.from_event(answer).text if answer is not None else ""
        if not text:
            continue
        heard += 1
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(Transcript(text=text, context={
                "conversation_id": "bench"}).event())
            answer = await client.read_event()
        reply = ""
        if answer is not None and Handled.is_type(answer.type):
            reply = Handled.from_event(answer).text or ""
        elif answer is not None and NotHandled.is_type(answer.type):
            reply = NotHandled.from_event(answer).text or ""
        if reply:
            async with AsyncTcpClient("127.0.0.1", port) as client:
                await client.write_event(Synthesize(text=reply).event())
                while (event := await client.read_event()) is not None \
                        and not AudioStop.is_type(event.type):
                    pass
    return heard


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
