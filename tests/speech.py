"""Speech made at test time: Piper (deterministic settings) and espeak-ng voices, cached per
session as 16 kHz WAV files, plus helpers to mix noise and run the CLI."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from voice_shop.audio import read_audio, write_wav
from voice_shop.tts import PiperSettings, PiperTTS

ESPEAK_VOICES = ("en-us", "en-us+f3")


class SpeechMaker:
    """Synthesises each (voice, text, rate) once per session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._piper: dict[float, PiperTTS] = {}

    def _path(self, voice: str, text: str, rate: float) -> Path:
        digest = hashlib.sha1(f"{voice}|{text}|{rate}".encode()).hexdigest()[:12]
        return self.folder / f"{voice.replace('+', '_')}-{digest}.wav"

    def piper(self, text: str, length_scale: float = 1.0) -> Path:
        path = self._path("piper", text, length_scale)
        if not path.exists():
            tts = self._piper.get(length_scale)
            if tts is None:
                tts = self._piper[length_scale] = PiperTTS(PiperSettings(
                    length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0))
            write_wav(path, tts.synthesize_all(text))
        return path

    def espeak(self, text: str, voice: str = "en-us", words_per_minute: int = 160) -> Path:
        path = self._path(voice, text, words_per_minute)
        if not path.exists():
            raw = path.with_suffix(".raw.wav")
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w",
                            str(raw), text], check=True, capture_output=True)
            write_wav(path, read_audio(raw))
            raw.unlink()
        return path


ENROLL_SENTENCES = (
    "Good morning, this is my voice for the shopping assistant in our kitchen.",
    "I usually buy fresh fruit, bread, milk and coffee every week.",
    "Please remember how I sound so you know when I am talking to you.",
)


def pitched(source: Path, cents: int, out: Path) -> Path:
    """The same speech a few semitones higher: another voice to the speaker encoder
    (a child's, in these tests), still clear to the recogniser."""
    if not out.exists():
        subprocess.run(["sox", "-q", str(source), str(out), "pitch", str(cents)], check=True)
    return out
