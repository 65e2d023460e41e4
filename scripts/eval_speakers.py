"""Speaker identification on real recorded voices (LibriSpeech, ../shared/audio/).

Each speaker is enrolled from three utterances and identified on the other seven; for
unknown-voice rejection each speaker in turn is left out of the household and its
utterances must come back unknown. Rotating which utterances enroll gives more trials.
Prints identification accuracy and unknown rejection at the chosen threshold, the equal
error rate, the threshold that balances them, and embedding time. Skips when the audio is
absent. Usage: python scripts/eval_speakers.py [AUDIO_DIR] [MODELS_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from voice_shop.audio import read_audio
from voice_shop.speaker.encoder import SpeakerEncoder
from voice_shop.speaker.identify import DEFAULT_THRESHOLD, centroid

ENROLL = 3


def embed_all(root: Path, encoder: SpeakerEncoder) -> tuple[dict[str, list[np.ndarray]], float]:
    speakers: dict[str, list[np.ndarray]] = {}
    seconds = spent = 0.0
    for line in (root / "speakers.tsv").read_text().splitlines():
        rel, speaker = line.split("\t")[:2]
        audio = read_audio(root / rel)
        started = time.perf_counter()
        speakers.setdefault(speaker, []).append(encoder.embed(audio))
        spent += time.perf_counter() - started
        seconds += len(audio) / 16000
    count = sum(len(v) for v in speakers.values())
    print(f"{count} utterances of {len(speakers)} speakers, {seconds:.0f} s; embedding "
          f"{1000 * spent / count:.0f} ms per utterance (RTF {spent / seconds:.3f})")
    return speakers, seconds


def trials(speakers: dict[str, list[np.ndarray]]) -> tuple[list[tuple[str, str, float]],
                                                          list[float]]:
    """(true, closest, score) for enrolled voices; best score for left-out voices."""
    known, unknown = [], []
    names = sorted(speakers)
    for rotation in range(0, 10, ENROLL):
        prints = {}
        tests = {}
        for name in names:
            utts = speakers[name]
            chosen = [(rotation + k) % len(utts) for k in range(ENROLL)]
            prints[name] = centroid([utts[i] for i in chosen])
            tests[name] = [u for i, u in enumerate(utts) if i not in chosen]
        for name in names:
            for utt in tests[name]:
                closest, score = max(((n, float(utt @ p)) for n, p in prints.items()),
                                     key=lambda kv: kv[1])
                known.append((name, closest, score))
                others = [float(utt @ p) for n, p in prints.items() if n != name]
                unknown.append(max(others))
    return known, unknown


def rates(known: list[tuple[str, str, float]], unknown: list[float],
          threshold: float) -> tuple[float, float]:
    identified = sum(t == c and s >= threshold for t, c, s in known) / len(known)
    rejected = sum(s < threshold for s in unknown) / len(unknown)
    return identified, rejected


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/audio/librispeech-speakers")
    models = Path(sys.argv[2] if len(sys.argv) > 2 else "models")
    if not (root / "speakers.tsv").exists():
        print(f"skipped: no recorded voices at {root}")
        return
    speakers, _ = embed_all(root, SpeakerEncoder(models))
    known, unknown = trials(speakers)
    genuine = [s for t, c, s in known if t == c]
    grid = np.linspace(0.5, 0.95, 91)
    eer_t = min(grid, key=lambda t: abs((1 - rates(known, unknown, t)[1])
                                         - (sum(s < t for s in genuine) / len(genuine))))
    far = 1 - rates(known, unknown, eer_t)[1]
    frr = sum(s < eer_t for s in genuine) / len(genuine)
    best_t = max(grid, key=lambda t: sum(rates(known, unknown, t)))
    closest_right = sum(t == c for t, c, _ in known) / len(known)
    print(f"trials: {len(known)} enrolled-voice utterances, {len(unknown)} unknown-voice")
    print(f"closest profile is the right speaker: {100 * closest_right:.1f}%")
    print(f"equal error rate: {100 * (far + frr) / 2:.1f}% at threshold {eer_t:.3f}")
    for label, t in (("shipped", DEFAULT_THRESHOLD), ("balanced", best_t)):
        identified, rejected = rates(known, unknown, float(t))
        print(f"threshold {t:.3f} ({label}): identified {100 * identified:.1f}%, "
              f"unknown rejected {100 * rejected:.1f}%")


if __name__ == "__main__":
    main()
