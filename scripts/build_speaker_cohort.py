"""Build the S-norm cohort that ships with voice-shop: voice_shop/data/speaker_cohort.npy.

The 120 LibriSpeech voices in ../shared/audio/librispeech-cohort/ (one utterance each) are
split by sorted file name: every other one (positions 0, 2, 4, ...) becomes the shipped cohort,
the other 60 stay held out as strangers for calibration and evaluation
(``scripts/eval_speakers.py``), so no voice is both in the cohort and a test stranger.
Writes the embeddings as float16 and their file names to speaker_cohort.txt.
Usage: python scripts/build_speaker_cohort.py [COHORT_DIR] [MODELS_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from voice_shop.audio import read_audio
from voice_shop.speaker.encoder import SpeakerEncoder

DATA = Path(__file__).resolve().parents[1] / "voice_shop" / "data"


def split(folder: Path) -> tuple[list[Path], list[Path]]:
    """(shipped cohort, held-out strangers): alternate files in sorted order."""
    files = sorted(folder.glob("*.flac"))
    return files[0::2], files[1::2]


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/audio/librispeech-cohort")
    models = Path(sys.argv[2] if len(sys.argv) > 2 else "models")
    cohort, _ = split(folder)
    if not cohort:
        sys.exit(f"no recordings in {folder}")
    encoder = SpeakerEncoder(models)
    embeddings = np.stack([encoder.embed(read_audio(path)) for path in cohort])
    np.save(DATA / "speaker_cohort.npy", embeddings.astype(np.float16))
    (DATA / "speaker_cohort.txt").write_text("".join(f"{p.stem}\n" for p in cohort))
    print(f"cohort of {len(cohort)} voices written to {DATA}")


if __name__ == "__main__":
    main()
