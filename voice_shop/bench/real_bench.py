"""Real recorded speech: correct / wrong / rejected on labelled orders, clean and in noise.

A folder laid out like ``coffee-orders/`` (``clips/``, ``labels.json``, ``catalog.csv``) is
imported into a scratch database and every clip goes through ``understand`` exactly as the CLI
does. A clip is right when the intent is ``add_item`` with one item whose sku is the labelled
product and whose options are exactly the labelled slots, quantity one or unsaid. Which label
slot names the product and which option group a slot fills is read from the catalog (the slot
value is a product name, or a value of that option group), so nothing here knows coffee.
Noise is mixed in at a chosen SNR: white, pink, and babble made of espeak-ng voices talking at
once. Out-of-domain recordings (any folder of audio) count how often speech that is no command
is accepted as one.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ, read_audio
from ..intent.model import Intent, IntentName
from ..shop.models import Product
from ..vad import speech_span

AUDIO_SUFFIXES = (".flac", ".wav", ".ogg")
BABBLE_LINES = (
    "the weather will turn colder later this week with rain on sunday",
    "in other news the city council met on tuesday to discuss the new budget",
    "and now a word from our sponsors about the best car insurance in town",
    "the home team scored twice in the second half to win the match",
    "scientists say the new telescope will see further than ever before",
    "traffic on the highway is slow this morning because of road works",
)


@dataclass(frozen=True)
class Expected:
    sku: str
    options: dict[str, str]


@dataclass
class Tally:
    correct: int = 0
    wrong: int = 0
    rejected: int = 0
    audio_s: float = 0.0
    decode_s: float = 0.0

    @property
    def total(self) -> int:
        return self.correct + self.wrong + self.rejected

    def line(self, name: str) -> str:
        n = max(self.total, 1)
        rtf = self.decode_s / max(self.audio_s, 1e-9)
        return (f"{name}: {self.total} clips, correct {100 * self.correct / n:.1f}%, "
                f"wrong {100 * self.wrong / n:.1f}%, rejected {100 * self.rejected / n:.1f}% "
                f"(RTF {rtf:.3f})")


def expected_from_label(label: dict[str, object], products: Sequence[Product],
                        ) -> Expected | None:
    """The product and options a label names, read through the catalog."""
    slots = label.get("slots") or {}
    if not isinstance(slots, dict):
        return None
    by_name = {p.name.lower(): p for p in products}
    product = next((by_name[str(v).lower()] for v in slots.values()
                    if str(v).lower() in by_name), None)
    if product is None:
        return None
    options: dict[str, str] = {}
    for value in slots.values():
        if str(value).lower() == product.name.lower():
            continue
        group = product.option_group_of(str(value))
        if group is None:
            return None
        options[group] = str(value)
    return Expected(product.sku, options)


def judge(intent: Intent, expected: Expected) -> str:
    """"correct", "wrong" or "rejected". A request read back as a question before it is done
    (``Intent.read_back``: a dozen or more of one item heard) is rejected: nothing is added
    unless the shopper says yes to it."""
    if intent.intent is IntentName.UNKNOWN or intent.read_back:
        return "rejected"
    if intent.intent is not IntentName.ADD_ITEM or len(intent.items) != 1:
        return "wrong"
    item = intent.items[0]
    is_right = (item.sku == expected.sku and dict(item.options) == expected.options
                and item.quantity in (None, 1))
    return "correct" if is_right else "wrong"


# ---- noise -----------------------------------------------------------------------------------
def white_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(n)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise by shaping white noise's spectrum."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(freqs), n)


def babble(seconds: float, voices: int = 4) -> np.ndarray:
    """Several espeak-ng voices reading news at once (made at bench time)."""
    tracks = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(voices):
            path = Path(tmp) / f"v{index}.wav"
            text = " ".join(BABBLE_LINES[index:] + BABBLE_LINES[:index])
            voice = ("en-us", "en-us+f3", "en-gb", "en-us+m3")[index % 4]
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(150 + 10 * index), "-w",
                            str(path), text], check=True, capture_output=True)
            tracks.append(read_audio(path).astype(np.float64))
    length = int(seconds * SAMPLE_RATE_HZ)
    mix = np.zeros(length)
    for track in tracks:
        reps = int(np.ceil(length / len(track)))
        mix += np.tile(track, reps)[:length]
    return mix


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Speech plus noise scaled so the speech-to-noise power ratio is ``snr_db``."""
    speech_f = speech.astype(np.float64)
    noise = noise[:len(speech_f)]
    p_speech = float(np.mean(speech_f ** 2)) or 1.0
    p_noise = float(np.mean(noise ** 2)) or 1.0
    scaled = noise * np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return np.clip(speech_f + scaled, -32768, 32767).astype(np.int16)


class NoiseBank:
    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self._babble: np.ndarray | None = None

    def noise(self, kind: str, n: int) -> np.ndarray:
        if kind == "white":
            return white_noise(n, self.rng)
        if kind == "pink":
            return pink_noise(n, self.rng)
        if kind == "babble":
            if self._babble is None:
                self._babble = babble(120.0)
            start = int(self.rng.integers(0, max(len(self._babble) - n, 1)))
            return self._babble[start:start + n]
        raise ValueError(f"unknown noise {kind!r}; choose white, pink or babble")


# ---- the run -------------------------------------------------------------------------------
def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)


def run(folder: Path, ood: Sequence[Path] = (), *, limit: int | None = None,
        noises: Sequence[str] = ("white", "pink", "babble"),
        snrs_db: Sequence[float] = (20.0, 10.0, 5.0), noise_clips: int = 100,
        engine: str = "auto", models_dir: Path = Path("models")) -> Iterator[str]:
    from ..assistant import Assistant
    from ..config import AppSettings, SpeechSettings
    from ..shop.engine import Shop
    from ..understand import understand
    labels = json.loads((folder / "labels.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "real.db"
        shop = Shop.open(db, create=True)
        shop.import_catalog(folder / "catalog.csv")
        assistant = Assistant(AppSettings(db_path=db, models_dir=models_dir,
                                          speech=SpeechSettings(engine=engine)))
        products = assistant.shop.products()
        started = time.perf_counter()
        stt, parser = assistant.stt, assistant.parser
        yield (f"real speech: {folder} ({len(products)} products; recogniser {stt.name} "
               f"ready in {time.perf_counter() - started:.1f} s)")
        named = [(folder / "clips" / name, expected_from_label(label, products))
                 for name, label in sorted(labels.items())]
        clips = [(p, e) for p, e in named if e is not None]
        unusable = len(named) - len(clips)
        if limit:
            clips = random.Random(1).sample(clips, min(limit, len(clips)))
        audio = [(read_audio(path), e) for path, e in clips]
        if unusable:
            yield f"  {unusable} labels name nothing in the catalog; left out"

        noisy = random.Random(2).sample(audio, min(noise_clips, len(audio)))

        def tally(mixer: NoiseBank | None, kind: str, snr: float,
                  half: int | None = None) -> Tally:
            t = Tally()
            chosen = audio if mixer is None else noisy
            if half is not None:  # the clips by file name: even places, or odd ones
                chosen = [chosen[i] for i in range(half, len(chosen), 2)]
            for samples, expected in chosen:
                if mixer is not None:
                    samples = mix_at_snr(samples, mixer.noise(kind, len(samples)), snr)
                # Timed whole: the cut, the noise filters and enhancer fed the audio, and
                # the decode (``Transcript.decode_s`` counts only the decode).
                started = time.perf_counter()
                speech = speech_span(samples)  # as the device's endpointer would cut it
                transcript = stt.transcribe(speech)
                t.decode_s += time.perf_counter() - started
                verdict = judge(understand(transcript, parser).intent, expected)
                setattr(t, verdict, getattr(t, verdict) + 1)
                t.audio_s += len(samples) / SAMPLE_RATE_HZ
            return t

        halves = [tally(None, "", 0.0, half) for half in (0, 1)]
        yield _merged(halves).line("  clean")
        for half, name in zip(halves, ("even", "odd"), strict=True):
            yield half.line(f"    clips at {name} places by file name")
        bank = NoiseBank()
        if noises and snrs_db:
            yield f"  noise mixed into a fixed sample of {len(noisy)} of the clips:"
        for kind in noises:
            for snr in snrs_db:
                yield tally(bank, kind, snr).line(f"  {kind} noise {snr:.0f} dB")
        for ood_folder in ood:
            files = _audio_files(ood_folder)
            accepted = 0
            for path in files:
                try:
                    samples = read_audio(path)
                except Exception:  # an unreadable file is not a command either
                    continue
                if understand(stt.transcribe(speech_span(samples)), parser).is_understood:
                    accepted += 1
            yield (f"  out of domain ({ood_folder}): {accepted}/{len(files)} accepted as a "
                   f"command ({100 * accepted / max(len(files), 1):.1f}%)")
        yield f"  peak memory of this process: {_peak_rss_mb():.0f} MB"


def _merged(tallies: Sequence[Tally]) -> Tally:
    return Tally(*(sum(getattr(t, name) for t in tallies)
                   for name in ("correct", "wrong", "rejected", "audio_s", "decode_s")))


def _peak_rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
