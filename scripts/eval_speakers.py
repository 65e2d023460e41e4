"""Calibrate and evaluate speaker verification on real voices (../shared/audio/).

Voices:
- household: the 5 LibriSpeech voices of librispeech-speakers/ (10 recordings each); each is
  enrolled from 3 recordings and tested on the other 7 (rotating), and left out of the
  household in turn to act as a stranger;
- shipped cohort: 60 of the 120 librispeech-cohort/ voices (scripts/build_speaker_cohort.py),
  used only for S-norm, never as a test stranger;
- held out: the other 60 cohort voices, split in two folds of 30 by sorted position. One fold
  calibrates (strangers), the other evaluates: its recordings as strangers against the
  household, and as a second household of its own (enrolled from the first half of each
  recording, tested on the second half).

Thresholds: full utterances, the lowest S-norm score at which at most TARGET_FALSE_ACCEPT of
the calibration's unknown-voice trials are accepted; short answers (0.8 s cut from real
speech), likewise at SHORT_TARGET_FALSE_ACCEPT. Enrollment consistency reuses the main
threshold; the script prints how real enrollment sets and sets with another voice swapped in
score against it. Prints both folds. Usage:
python scripts/eval_speakers.py [AUDIO_DIR] [MODELS_DIR] [--cache FILE.npz]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from voice_shop.audio import SAMPLE_RATE_HZ, read_audio
from voice_shop.bench.speaker_bench import (
    equal_error,
    household_files,
    household_trials,
    households,
    identified,
    rejected,
)
from voice_shop.errors import VoiceShopError
from voice_shop.speaker.cohort import ScoreNormaliser, cohort_names, load_cohort
from voice_shop.speaker.encoder import SpeakerEncoder
from voice_shop.speaker.identify import (
    DEFAULT_FOLLOW_UP_THRESHOLD,
    DEFAULT_THRESHOLD,
    SpeakerSettings,
    Voiceprint,
    centroid,
    closest_voice,
)
from voice_shop.speaker.quality import require_speech

TARGET_FALSE_ACCEPT = 0.005
SHORT_TARGET_FALSE_ACCEPT = 0.01
SHORT_S = 0.8
SHORT_STARTS_S = (1.0, 3.0, 5.0)


class Embeddings:
    """Embeddings of (file, start, end) cuts, cached in an .npz between runs."""

    def __init__(self, encoder: SpeakerEncoder, cache: Path | None) -> None:
        self.encoder, self.cache = encoder, cache
        self.store: dict[str, np.ndarray] = dict(np.load(cache)) if cache and cache.exists() \
            else {}
        self.spent_s = self.audio_s = self.quality_s = 0.0
        self.timed = 0

    def get(self, path: Path, start_s: float = 0.0, end_s: float | None = None,
            ) -> np.ndarray | None:
        key = f"{path.name}:{start_s}:{end_s}"
        if key not in self.store:
            audio = read_audio(path)
            cut = audio[int(start_s * SAMPLE_RATE_HZ):
                        None if end_s is None else int(end_s * SAMPLE_RATE_HZ)]
            started = time.perf_counter()
            try:
                require_speech(cut, key)
            except VoiceShopError:
                self.store[key] = np.zeros(0, np.float32)
                return None
            checked = time.perf_counter()
            self.store[key] = self.encoder.embed(cut)
            if start_s == 0.0 and end_s is None:
                self.quality_s += checked - started
                self.spent_s += time.perf_counter() - checked
                self.audio_s += len(cut) / SAMPLE_RATE_HZ
                self.timed += 1
        found = self.store[key]
        return found if len(found) else None

    def save(self) -> None:
        if self.cache:
            np.savez(self.cache, **self.store)


def raw_cosine_rates(voices: dict[str, list[np.ndarray]], normaliser: ScoreNormaliser,
                     strangers: list[np.ndarray], threshold: float) -> str:
    """The previous rule (raw cosine, one fixed threshold) on the same trials."""
    right = total = accepted = 0
    for prints, tests in households(voices, normaliser):
        for voice, embeddings in tests.items():
            for e in embeddings:
                closest = max(prints, key=lambda n: float(e @ prints[n].embedding))
                right += closest == voice and float(e @ prints[voice].embedding) >= threshold
                total += 1
        accepted += sum(max(float(x @ p.embedding) for p in prints.values()) >= threshold
                        for x in strangers)
    n = len(strangers) * len(list(households(voices, normaliser)))
    return (f"raw cosine >= {threshold} (the previous rule): identified "
            f"{100 * right / total:.1f}%, held-out strangers rejected "
            f"{100 * (n - accepted) / n:.1f}% of {n}")


def lowest_threshold(impostor: list[float], target: float) -> float:
    """The lowest threshold (0.05 steps) accepting at most ``target`` of ``impostor``."""
    for t in np.arange(-2.0, 10.0, 0.05):
        if 1 - rejected(impostor, float(t)) <= target:
            return round(float(t), 2)
    return 10.0


def held_out(cohort_dir: Path) -> tuple[list[Path], list[Path]]:
    shipped = set(cohort_names())
    held = [p for p in sorted(cohort_dir.glob("*.flac")) if p.stem not in shipped]
    return held[0::2], held[1::2]


def halves(emb: Embeddings, files: list[Path]) -> dict[str, list[np.ndarray]]:
    """Each held-out voice as a household member: first half enrolls, second half tests."""
    voices = {}
    for path in files:
        mid = len(read_audio(path)) / SAMPLE_RATE_HZ / 2
        first, second = emb.get(path, 0.0, mid), emb.get(path, mid, None)
        if first is not None and second is not None:
            voices[path.stem] = [first, second]
    return voices


def second_household(voices: dict[str, list[np.ndarray]], normaliser: ScoreNormaliser,
                     threshold: float) -> str:
    prints = {v: Voiceprint.from_embeddings([e[0]], normaliser) for v, e in voices.items()}
    right = accepted_wrong = 0
    for voice, (_, test) in voices.items():
        closest, score = closest_voice(test, prints, normaliser)
        right += closest == voice and score >= threshold
        others = {n: p for n, p in prints.items() if n != voice}
        accepted_wrong += closest_voice(test, others, normaliser)[1] >= threshold
    n = len(voices)
    return (f"identified {right}/{n} ({100 * right / n:.1f}%), left out of their own "
            f"household rejected {n - accepted_wrong}/{n} ({100 * (n - accepted_wrong) / n:.1f}%)"
            f" [1 enrollment of ~7 s each]")


def pairwise_eer(voices: dict[str, list[np.ndarray]], normaliser: ScoreNormaliser) -> str:
    """EER over every (test half, print) pair of the held-out voices: S-norm vs raw cosine."""
    prints = {v: Voiceprint.from_embeddings([e[0]], normaliser) for v, e in voices.items()}
    figures = []
    for label, score in (("S-norm", lambda t, p: normaliser.compare(t, p.embedding)),
                         ("raw cosine", lambda t, p: float(t @ p.embedding))):
        genuine = [score(voices[v][1], prints[v]) for v in voices]
        impostor = [score(voices[a][1], prints[b]) for a in voices for b in voices if a != b]
        eer, at = equal_error(genuine, impostor)
        figures.append(f"{label} EER {100 * eer:.1f}% at {at:.2f} (impostor highest "
                       f"{max(impostor):.2f}, 99th percentile {np.percentile(impostor, 99):.2f})")
    n = len(voices)
    return f"{n} genuine and {n * (n - 1)} impostor pairs: " + "; ".join(figures)


def short_clips(emb: Embeddings, files: list[Path]) -> list[np.ndarray]:
    clips = [emb.get(p, s, s + SHORT_S) for p in files for s in SHORT_STARTS_S]
    return [c for c in clips if c is not None]


def short_scores(household: dict[str, list[Path]], emb: Embeddings,
                 normaliser: ScoreNormaliser, strangers: list[Path],
                 ) -> tuple[list[float], list[float], list[float]]:
    """(genuine, household voice left out, stranger) best scores of 0.8 s clips; prints from
    each voice's first three recordings, clips from the others."""
    prints = {v: Voiceprint.from_embeddings([e for e in (emb.get(p) for p in paths[:3])
                                             if e is not None], normaliser)
              for v, paths in household.items()}
    genuine, left_out = [], []
    for voice, paths in household.items():
        for clip in short_clips(emb, paths[3:]):
            genuine.append(closest_voice(clip, {voice: prints[voice]}, normaliser)[1])
            others = {n: p for n, p in prints.items() if n != voice}
            left_out.append(closest_voice(clip, others, normaliser)[1])
    outside = [closest_voice(c, prints, normaliser)[1] for c in short_clips(emb, strangers)]
    return genuine, left_out, outside


def consistency(voices: dict[str, list[np.ndarray]], normaliser: ScoreNormaliser,
                intruders: list[np.ndarray]) -> tuple[list[float], list[float]]:
    """(lowest score of each real 3-recording enrollment, score of a wrong recording put in
    place of the third)."""
    genuine, wrong = [], []
    for voice, embeddings in voices.items():
        for start in range(0, len(embeddings) - 2):
            three = embeddings[start:start + 3]
            genuine.append(min(normaliser.compare(e, centroid(three[:n] + three[n + 1:]))
                               for n, e in enumerate(three)))
            others = [e for v, es in voices.items() if v != voice for e in es] + intruders
            wrong += [normaliser.compare(o, centroid(three[:2])) for o in others[::3]]
    return genuine, wrong


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("audio", nargs="?", type=Path, default=Path("../shared/audio"))
    args.add_argument("models", nargs="?", type=Path, default=Path("models"))
    args.add_argument("--cache", type=Path)
    opts = args.parse_args()
    speakers_dir = opts.audio / "librispeech-speakers"
    cohort_dir = opts.audio / "librispeech-cohort"
    if not (speakers_dir / "speakers.tsv").exists() or not cohort_dir.is_dir():
        print(f"skipped: no recorded voices under {opts.audio}")
        return
    emb = Embeddings(SpeakerEncoder(opts.models), opts.cache)
    normaliser = ScoreNormaliser(load_cohort(), SpeakerSettings().cohort_top_k)
    files = household_files(speakers_dir)
    voices = {v: [e for e in (emb.get(p) for p in paths) if e is not None]
              for v, paths in files.items()}
    folds = held_out(cohort_dir)
    print(f"household: {len(voices)} voices, {sum(map(len, voices.values()))} recordings; "
          f"held-out strangers: {len(folds[0])} + {len(folds[1])}; cohort: "
          f"{len(normaliser.cohort)} voices (never tested)")
    for name, (calibrate, evaluate) in (("A->B", folds), ("B->A", folds[::-1])):
        report_fold(name, emb, normaliser, files, voices, calibrate, evaluate)
    genuine, wrong = consistency(voices, normaliser,
                                 [e for e in (emb.get(p) for p in folds[0]) if e is not None])
    print(f"enrollment consistency: real 3-recording sets, lowest score {min(genuine):.2f}; "
          f"a recording of another voice put in: highest {max(wrong):.2f}, "
          f"{100 * np.mean(np.array(wrong) >= DEFAULT_THRESHOLD):.1f}% reach {DEFAULT_THRESHOLD}")
    if emb.timed:
        print(f"per fresh full recording: embedding {1000 * emb.spent_s / emb.timed:.0f} ms, "
              f"speech check {1000 * emb.quality_s / emb.timed:.1f} ms, recordings of "
              f"{emb.audio_s / emb.timed:.1f} s (RTF {emb.spent_s / emb.audio_s:.3f})")
    emb.save()


def report_fold(name: str, emb: Embeddings, normaliser: ScoreNormaliser,
                files: dict[str, list[Path]], voices: dict[str, list[np.ndarray]],
                calibrate: list[Path], evaluate: list[Path]) -> None:
    def embedded(paths: list[Path]) -> list[np.ndarray]:
        return [e for e in (emb.get(p) for p in paths) if e is not None]

    trials, left_out, cal_strangers = household_trials(voices, normaliser, embedded(calibrate))
    cal_impostor = left_out + cal_strangers
    threshold = lowest_threshold(cal_impostor, TARGET_FALSE_ACCEPT)
    genuine = [t.own_score for t in trials]
    eer, at = equal_error(genuine, cal_impostor)
    print(f"[{name}] calibration: {len(trials)} household trials, {len(cal_impostor)} "
          f"unknown-voice trials; EER {100 * eer:.2f}% at {at:.2f}; genuine lowest "
          f"{min(genuine):.2f}, unknown highest {max(cal_impostor):.2f}; threshold for "
          f"<= {100 * TARGET_FALSE_ACCEPT:.1f}% false accepts: {threshold:.2f}")
    _, _, eval_strangers = household_trials(voices, normaliser, embedded(evaluate))
    for label, t in (("calibrated", threshold), ("shipped", DEFAULT_THRESHOLD)):
        print(f"[{name}] at {label} {t:.2f}: household identified "
              f"{100 * identified(trials, t):.1f}% of {len(trials)}; held-out strangers "
              f"rejected {100 * rejected(eval_strangers, t):.1f}% of {len(eval_strangers)}; "
              f"second household of held-out voices: "
              f"{second_household(halves(emb, evaluate), normaliser, t)}")
    eer_eval, at_eval = equal_error(genuine, left_out + eval_strangers)
    print(f"[{name}] {raw_cosine_rates(voices, normaliser, embedded(evaluate), 0.77)}")
    print(f"[{name}] held-out voices pairwise, "
          f"{pairwise_eer(halves(emb, evaluate), normaliser)}")
    print(f"[{name}] EER with the evaluation strangers: {100 * eer_eval:.2f}% at {at_eval:.2f}")
    short_genuine, short_left, short_cal = short_scores(files, emb, normaliser, calibrate)
    short_t = lowest_threshold(short_left + short_cal, SHORT_TARGET_FALSE_ACCEPT)
    _, _, short_eval = short_scores(files, emb, normaliser, evaluate)
    for label, t in (("calibrated", short_t), ("shipped", DEFAULT_FOLLOW_UP_THRESHOLD)):
        print(f"[{name}] short answers ({SHORT_S} s) at {label} {t:.2f}: own voice "
              f"accepted {100 * (1 - rejected(short_genuine, t)):.1f}% of {len(short_genuine)};"
              f" other household voices accepted {100 * (1 - rejected(short_left, t)):.1f}%; "
              f"held-out strangers accepted {100 * (1 - rejected(short_eval, t)):.1f}% of "
              f"{len(short_eval)}")


if __name__ == "__main__":
    sys.exit(main())
