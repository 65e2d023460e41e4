"""Speaker identification and stranger rejection on any folder of recorded voices.

Household voices come from a folder with a ``speakers.tsv`` (file, speaker id, ...; the
LibriSpeech layout) or with one sub-folder of recordings per speaker. Each speaker is enrolled
from three recordings and identified on the rest, rotating which three enroll. Strangers are
every recording in the strangers folder (``--strangers DIR``, else a ``strangers/`` sub-folder),
each scored against the whole household; recordings whose names are in the shipped S-norm
cohort are left out, so no voice is both the yardstick and a test. Leaving each household voice
out in turn gives more stranger trials. The decision rule is the product's own
(``closest_voice`` and the shipped thresholds).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ, read_audio
from ..errors import VoiceShopError
from ..speaker.cohort import ScoreNormaliser, cohort_names, load_cohort
from ..speaker.encoder import SpeakerEncoder
from ..speaker.identify import DEFAULT_THRESHOLD, SpeakerSettings, Voiceprint, closest_voice
from ..speaker.quality import require_speech

ENROLL = 3
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


@dataclass(frozen=True)
class Trial:
    """One test utterance of a household voice."""

    speaker: str
    closest: str
    score: float
    """S-norm score against the closest voice print."""
    own_score: float
    """S-norm score against the speaker's own voice print."""


@dataclass
class Embedded:
    """Embeddings of a set of recordings, and what they cost."""

    by_voice: dict[str, list[np.ndarray]]
    seconds: float = 0.0
    """Audio embedded, in seconds."""
    spent_s: float = 0.0
    """Wall time in the encoder, in seconds."""
    count: int = 0
    refused: int = 0
    """Recordings refused as "no speech"."""

    @property
    def ms_per_utterance(self) -> float:
        return 1000 * self.spent_s / max(self.count, 1)


def _audio_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)


def household_files(root: Path) -> dict[str, list[Path]]:
    """Speaker id -> recordings, from ``speakers.tsv`` or one sub-folder per speaker."""
    table = root / "speakers.tsv"
    voices: dict[str, list[Path]] = {}
    if table.exists():
        for line in table.read_text().splitlines():
            if line.strip():
                rel, speaker = line.split("\t")[:2]
                voices.setdefault(speaker, []).append(root / rel)
        return voices
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "strangers"):
        files = _audio_in(folder)
        if files:
            voices[folder.name] = files
    return voices


def stranger_files(folder: Path) -> tuple[list[Path], int]:
    """(stranger recordings, how many were left out for being in the shipped cohort)."""
    shipped = set(cohort_names())
    files = _audio_in(folder)
    kept = [p for p in files if p.stem not in shipped]
    return kept, len(files) - len(kept)


def embed_voices(encoder: SpeakerEncoder, voices: dict[str, list[Path]]) -> Embedded:
    """Embed every recording; those without speech are counted as refused."""
    result = Embedded({})
    for voice, paths in voices.items():
        for path in paths:
            audio = read_audio(path)
            try:
                require_speech(audio, str(path))
            except VoiceShopError:
                result.refused += 1
                continue
            started = time.perf_counter()
            embedding = encoder.embed(audio)
            result.spent_s += time.perf_counter() - started
            result.seconds += len(audio) / SAMPLE_RATE_HZ
            result.count += 1
            result.by_voice.setdefault(voice, []).append(embedding)
    return result


def households(voices: dict[str, list[np.ndarray]], normaliser: ScoreNormaliser,
               enroll: int = ENROLL) -> Iterator[tuple[dict[str, Voiceprint],
                                                        dict[str, list[np.ndarray]]]]:
    """(voice prints, test embeddings) per rotation of which recordings enroll."""
    usable = {v: e for v, e in voices.items() if len(e) > enroll}
    longest = max((len(e) for e in usable.values()), default=0)
    for rotation in range(0, longest, enroll):
        prints, tests = {}, {}
        for voice, embeddings in sorted(usable.items()):
            chosen = {(rotation + k) % len(embeddings) for k in range(enroll)}
            prints[voice] = Voiceprint.from_embeddings(
                [embeddings[i] for i in sorted(chosen)], normaliser)
            tests[voice] = [e for i, e in enumerate(embeddings) if i not in chosen]
        yield prints, tests


def household_trials(voices: dict[str, list[np.ndarray]], normaliser: ScoreNormaliser,
                     strangers: Sequence[np.ndarray] = (),
                     ) -> tuple[list[Trial], list[float], list[float]]:
    """Trials of household voices, and the best scores of unknown voices: (trials, each
    household voice left out of the household in turn, every stranger recording against
    each household)."""
    trials: list[Trial] = []
    impostor: list[float] = []
    outside: list[float] = []
    for prints, tests in households(voices, normaliser):
        for voice, embeddings in tests.items():
            others = {n: p for n, p in prints.items() if n != voice}
            for embedding in embeddings:
                closest, score = closest_voice(embedding, prints, normaliser)
                own = closest_voice(embedding, {voice: prints[voice]}, normaliser)[1]
                trials.append(Trial(voice, closest, score, own))
                if others:
                    impostor.append(closest_voice(embedding, others, normaliser)[1])
        outside += [closest_voice(e, prints, normaliser)[1] for e in strangers]
    return trials, impostor, outside


def identified(trials: Sequence[Trial], threshold: float) -> float:
    return sum(t.closest == t.speaker and t.score >= threshold for t in trials) / len(trials)


def rejected(impostor: Sequence[float], threshold: float) -> float:
    return sum(s < threshold for s in impostor) / len(impostor)


def equal_error(genuine: Sequence[float], impostor: Sequence[float]) -> tuple[float, float]:
    """(equal error rate, threshold there): misses of genuine scores vs accepted impostors."""
    g, i = np.asarray(genuine), np.asarray(impostor)
    candidates = np.unique(np.concatenate([g, i]))
    gaps = [abs(float(np.mean(g < t)) - float(np.mean(i >= t))) for t in candidates]
    best = float(candidates[int(np.argmin(gaps))])
    return (float(np.mean(g < best)) + float(np.mean(i >= best))) / 2, best


def run_folder(speakers_dir: Path, strangers_dir: Path | None,
               models_dir: Path) -> Iterator[str]:
    """The report lines for ``voice-shop bench --speakers DIR [--strangers DIR]``."""
    if strangers_dir is None and (speakers_dir / "strangers").is_dir():
        strangers_dir = speakers_dir / "strangers"
    encoder = SpeakerEncoder(models_dir)
    normaliser = ScoreNormaliser(load_cohort(), SpeakerSettings().cohort_top_k)
    household = embed_voices(encoder, household_files(speakers_dir))
    outside: list[np.ndarray] = []
    if strangers_dir is not None:
        files, in_cohort = stranger_files(strangers_dir)
        embedded = embed_voices(encoder, {str(p): [p] for p in files})
        outside = [e for es in embedded.by_voice.values() for e in es]
        yield (f"strangers: {len(outside)} recordings from {strangers_dir} ({in_cohort} left "
               f"out as part of the shipped cohort, {embedded.refused} refused as no speech)")
    trials, left_out, stranger_scores = household_trials(household.by_voice, normaliser,
                                                         outside)
    if not trials:
        yield f"speakers: skipped (no voice with more than {ENROLL} recordings in {speakers_dir})"
        return
    impostor = left_out + stranger_scores
    eer, at = equal_error([t.own_score for t in trials], impostor)
    yield (f"speakers: {len(household.by_voice)} voices, {ENROLL} enrollment recordings each, "
           f"{len(trials)} test utterances; embedding {household.ms_per_utterance:.0f} ms per "
           f"utterance of {household.seconds / max(household.count, 1):.1f} s (RTF "
           f"{household.spent_s / max(household.seconds, 1e-9):.3f})")
    yield (f"speakers: identified {100 * identified(trials, DEFAULT_THRESHOLD):.1f}%, "
           f"unknown voices rejected {100 * rejected(impostor, DEFAULT_THRESHOLD):.1f}% of "
           f"{len(impostor)} (household voices left out in turn"
           f"{' and strangers' if outside else ''}) at S-norm threshold {DEFAULT_THRESHOLD}")
    if stranger_scores:
        yield (f"speakers: strangers alone rejected "
               f"{100 * rejected(stranger_scores, DEFAULT_THRESHOLD):.1f}% of "
               f"{len(stranger_scores)} (each stranger recording against each household)")
    yield f"speakers: equal error rate {100 * eer:.1f}% (at S-norm {at:.2f})"


def run(audio_dir: Path, models_dir: Path) -> Iterator[str]:
    """The bench section on the development voices in ../shared/audio, when present."""
    if not audio_dir.is_dir() or not household_files(audio_dir):
        yield f"speakers: skipped (no recorded voices at {audio_dir})"
        return
    strangers = audio_dir.parent / "librispeech-cohort"
    yield from run_folder(audio_dir, strangers if strangers.is_dir() else None, models_dir)
