"""Speak the demo shopper's lines into WAV files (Piper, a little slower than the device),
each command after the default wake word "Okay Nabu"."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from voice_shop.audio import write_wav
from voice_shop.tts import PiperSettings, PiperTTS

# The eggs and the bacon stay two requests: said as one ("add a dozen eggs and a pack of
# bacon"), the grammar pass hears it right at every cut after the wake word, but the open
# pass hears "a dozen bags" and the second opinion rejects the order (scripts/eval_one_breath.py).
LINES = (
    "Okay Nabu, I'd like a dozen eggs",
    "Okay Nabu, add a pack of bacon",
    "Okay Nabu, how much are the strawberries",
    "Okay Nabu, what's in my cart",
    "Okay Nabu, I'm ready to check out",
    "yes",
    "Okay Nabu, where is my order",
)


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tts = PiperTTS(PiperSettings(length_scale=1.1, noise_scale=0.0, noise_w_scale=0.0))
    for number, line in enumerate(LINES, 1):
        # Named by the line, so WAVs of an older script are never reused.
        path = folder / f"{number:02d}-{hashlib.sha1(line.encode()).hexdigest()[:8]}.wav"
        if not path.exists():
            write_wav(path, tts.synthesize_all(line))
        print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo"))
