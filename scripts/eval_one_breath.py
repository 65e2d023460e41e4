"""Wake word and command in one breath ("Okay Nabu add a dozen eggs and a pack of bacon", no
pause after the wake word), spoken by Piper and espeak-ng, through ``voice-shop listen --wav``:
how many commands come out understood with the right intent, products and quantities.

The wake-word model decides a little after the word ends, so audio cut at that moment can
begin with the tail of the wake word; this measures how often that costs the command.

    .venv/bin/python scripts/eval_one_breath.py [--folder /tmp/one-breath]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from voice_shop.audio import read_audio, write_wav
from voice_shop.config import AppSettings
from voice_shop.intent.parser import IntentParser
from voice_shop.shop.demo import load_demo
from voice_shop.shop.engine import Shop
from voice_shop.tts import PiperSettings, PiperTTS

WAKE = "Okay Nabu"
COMMANDS = (
    "add a dozen eggs and a pack of bacon", "add two bags of rice", "add a pack of bacon",
    "how much are the strawberries", "what's in my cart", "add three lemons and two avocados",
    "add a carton of oat milk", "add a jar of peanut butter", "add two cans of chickpeas",
    "i'd like a bag of ground coffee", "add a loaf of gluten free bread",
    "add four bottles of kombucha", "add a pack of sliced ham and a bag of frozen corn",
    "add two cans of tomato soup", "add a bottle of dish soap", "add a jar of nutella",
    "add a bag of granola and a carton of orange juice", "add a pack of english muffins",
    "add a bottle of conditioner", "add a bag of gummy bears",
)
VOICES = ("piper", "piper-fast", "en-us", "en-us+f3")


def _key(intent: dict) -> tuple:
    """What must be right: the intent and each item's product and quantity."""
    return (intent["intent"], tuple(sorted((i["sku"], i["quantity"] or 1)
                                           for i in intent.get("items", []))))


def _speak(voice: str, text: str, path: Path, piper: dict[float, PiperTTS]) -> None:
    if voice.startswith("piper"):
        scale = 0.85 if voice == "piper-fast" else 1.0
        tts = piper.setdefault(scale, PiperTTS(PiperSettings(
            length_scale=scale, noise_scale=0.0, noise_w_scale=0.0)))
        write_wav(path, tts.synthesize_all(text))
        return
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(raw), text], check=True,
                   capture_output=True)
    write_wav(path, read_audio(raw))
    raw.unlink()


def _files(folder: Path, voice: str, piper: dict[float, PiperTTS]) -> list[Path]:
    files = []
    for number, command in enumerate(COMMANDS):
        path = folder / f"{voice.replace('+', '_')}-{number:02d}.wav"
        if not path.exists():  # no comma: the command follows the wake word in one breath
            _speak(voice, f"{WAKE} {command}", path, piper)
        files.append(path)
    return files


def _listen(db: Path, files: list[Path], replies: Path) -> list[dict]:
    exe = Path(sys.executable).with_name("voice-shop")
    args = [str(exe), "listen", "--db", str(db), "--json", "--reply-dir", str(replies)]
    for path in files:
        args += ["--wav", str(path)]
    out = subprocess.run(args, capture_output=True, text=True, check=False).stdout
    return [json.loads(line) for line in out.splitlines()]


def run(folder: Path) -> Iterator[str]:
    parser_db = folder / "expected.db"
    if not parser_db.exists():
        shop = Shop.open(parser_db, create=True)
        load_demo(shop)
        shop.close()
    parser = IntentParser(Shop.open(AppSettings(db_path=parser_db).db_path).products())
    expected = [_key(parser.parse(c).to_dict()) for c in COMMANDS]
    piper: dict[float, PiperTTS] = {}
    total = 0
    for voice in VOICES:
        files = _files(folder, voice, piper)
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "shop.db"
            shutil.copy(parser_db, db)
            events = _listen(db, files, Path(tmp) / "replies")
        heard: dict[str, dict] = {}
        woke: set[str] = set()
        for e in events:
            if e["event"] == "intent" and e["understood"]:
                heard.setdefault(e["file"], e)
            if e["event"] == "wake":
                woke.add(e["file"])
        right = [str(f) in heard and _key(heard[str(f)]["intent"]) == want
                 for f, want in zip(files, expected, strict=True)]
        total += sum(right)
        wrong = [c for f, c, ok in zip(files, COMMANDS, right, strict=True)
                 if not ok and str(f) in heard]
        lost = [c for f, c, ok in zip(files, COMMANDS, right, strict=True)
                if not ok and str(f) not in heard]
        yield (f"{voice}: woke {len(woke)}/{len(files)}, understood right "
               f"{sum(right)}/{len(files)}; wrong (a different order): {wrong}; "
               f"not understood: {lost}")
        for e in events:
            if e["event"] == "transcript":
                yield f"    {Path(e['file']).name}: heard {e['heard']!r}"
    yield f"all voices: {total}/{len(VOICES) * len(COMMANDS)} understood right"


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "one-breath")
    folder = args.parse_args().folder
    folder.mkdir(parents=True, exist_ok=True)
    for line in run(folder):
        print(line, flush=True)


if __name__ == "__main__":
    main()
