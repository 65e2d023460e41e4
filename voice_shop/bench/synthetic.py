"""Synthetic speech on catalogs the project was not built around: correct / wrong / rejected.

Two small catalogs that are not coffee, a grocery and a hardware store, each with option
groups (eggs by size, paint by colour and finish, bulbs by wattage), are imported into
scratch databases. Commands are generated from everyday phrasings (counts, pack words,
options before the name or after "with"), each with the order it asks for written down as
it is generated, never read back from the parser. They are spoken by Piper and by espeak-ng
voices with the room's silence around them, cut to the speech as the device would, and run
through the chosen recogniser and ``understand`` exactly as the CLI does. A command is
right when intent, products, counts (unsaid means one), options and pack word (unsaid means
the product's own) are the ones generated; the same sentences typed are judged the same
way, so the parser's share of the failures shows.
"""

from __future__ import annotations

import csv
import io
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
from ..stt.base import SpeechToText, Transcript
from ..tts import PiperSettings, PiperTTS
from ..vad import speech_span
from .real_bench import Tally

GROCERY = """sku,name,category,unit,price,aliases,options
G01,Eggs,dairy,carton,3.49,,size: medium|large|extra large; colour: brown|white
G02,Bread,bakery,loaf,2.99,,kind: white|whole wheat|sourdough|rye; slicing: sliced|unsliced
G03,Yogurt,dairy,tub,2.49,yoghurt,flavour: plain|vanilla|strawberry|blueberry
G04,Orange Juice,drinks,bottle,3.99,oj,pulp: no pulp|some pulp|extra pulp
G05,Chicken Breast,meat,pound,5.99,chicken breasts,skin: skinless|skin on
G06,Cheese,dairy,block,4.49,,kind: cheddar|mozzarella|swiss|gouda
G07,Apples,produce,bag,3.29,apple,variety: gala|fuji|honeycrisp|granny smith
G08,Pasta,pantry,box,1.79,noodles,shape: spaghetti|penne|fusilli|macaroni
G09,Tea,drinks,box,3.19,tea bags,kind: green|black|peppermint|chamomile
G10,Ground Beef,meat,pound,6.49,minced beef,fat: lean|extra lean
G11,Bananas,produce,bunch,1.29,banana,
G12,Olive Oil,pantry,bottle,7.99,,kind: extra virgin|light
G13,Potatoes,produce,bag,3.99,potato,variety: russet|red|yukon gold
G14,Frozen Pizza,frozen,box,5.49,pizza,topping: pepperoni|margherita|veggie|hawaiian
"""
HARDWARE = """sku,name,category,unit,price,aliases,options
H01,Paint,paint,can,29.99,,colour: white|black|navy blue|sage green; finish: matte|satin|gloss
H02,Screwdriver,tools,each,6.99,,tip: phillips|flat head|torx; size: small|medium|large
H03,Light Bulbs,lights,pack,8.99,,watts: forty watt|sixty watt|hundred watt; light: warm|daylight
H04,Wood Screws,fasteners,box,5.49,screws,length: one inch|two inch|three inch
H05,Hammer,tools,each,14.99,,kind: claw|framing|rubber
H06,Duct Tape,supplies,roll,4.99,tape,colour: silver|black|white
H07,Extension Cord,electrical,each,12.99,,length: six foot|twelve foot|twenty five foot
H08,Sandpaper,supplies,pack,5.99,,grit: fine|medium|coarse
H09,Garden Hose,garden,each,24.99,hose,length: fifty foot|hundred foot
H10,Batteries,electrical,pack,9.99,battery,size: double a|triple a|nine volt
H11,Work Gloves,safety,pair,7.99,gloves,size: small|medium|large
H12,Padlock,security,each,11.99,lock,
H13,Tape Measure,tools,each,9.49,measuring tape,length: sixteen foot|twenty five foot
H14,Wall Anchors,fasteners,pack,3.99,anchors,
"""
CATALOGS = {"grocery": GROCERY, "hardware": HARDWARE}

COUNTS = (("a", 1), ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5),
          ("six", 6), ("ten", 10), ("a couple of", 2), ("twelve", 12))
ASKS = ("add {}", "i'd like {}", "can i get {}", "i need {}", "please add {} to my cart",
        "could you get me {}", "i'll take {}", "put {} in my cart", "get me {}",
        "{} please", "can i have {}", "i want {}", "add {} to my cart please",
        "buy {}", "we need {}")
OTHERS = ("remove the {}", "take the {} out of my cart", "how much is the {}",
          "tell me about the {}")
OTHER_INTENTS = (IntentName.REMOVE_ITEM, IntentName.REMOVE_ITEM, IntentName.PRICE_QUERY,
                 IntentName.PRODUCT_INFO)
FIXED = (("what's in my cart", IntentName.VIEW_CART), ("check out", IntentName.CHECKOUT),
         ("clear my cart", IntentName.CLEAR_CART), ("cancel", IntentName.CANCEL))
ROOM_S = 0.5
"""Silence around each command, as a microphone hears the room before and after the
shopper speaks; the endpointer's cut then keeps its usual lead-in (a synthetic voice's
file starts at its first sound, which no device ever hears)."""
VOICES = (("piper", 1.0), ("en-us", 160), ("en-us+f3", 160), ("en-gb", 160))
"""Each voice and its rate: Piper's length scale, espeak-ng's words per minute."""


@dataclass(frozen=True)
class Expected:
    """One product of a generated command, as it was meant."""

    sku: str
    quantity: int
    unit: str
    """The product's pack word ("can"), said or not: an unsaid pack word means the same."""
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Command:
    text: str
    intent: IntentName
    items: tuple[Expected, ...] = ()


@dataclass(frozen=True)
class _Product:
    sku: str
    name: str
    unit: str
    options: dict[str, tuple[str, ...]]


def catalog_products(text: str) -> list[_Product]:
    found = []
    for row in csv.DictReader(io.StringIO(text)):
        options: dict[str, tuple[str, ...]] = {}
        for part in filter(None, (p.strip() for p in row["options"].split(";"))):
            group, values = part.split(":", 1)
            options[group.strip()] = tuple(v.strip() for v in values.split("|"))
        found.append(_Product(row["sku"], row["name"].lower(), row["unit"], options))
    return found


SAID_AFTER = {"pulp": "with {}", "topping": "with {}", "colour": "in {}"}
"""Option groups also said after the name, and how ("orange juice with no pulp")."""
MASS = frozenset({"bread", "yogurt", "orange juice", "cheese", "pasta", "tea", "ground beef",
                  "olive oil", "paint", "sandpaper", "duct tape"})
"""Products counted only by their pack ("two loaves of bread", never "two breads")."""


def _count_form(name: str, quantity: int) -> str:
    """The name as counted: "a light bulb", "two light bulbs"."""
    from ..language.forms import plural, singular
    *head, last = name.split()
    last = plural(singular(last)) if quantity > 1 else singular(last)
    return " ".join([*head, last])


def _phrase(product: _Product, rng: random.Random) -> tuple[str, Expected]:
    """One product said with a count, maybe a pack word, and some of its options."""
    from ..language.forms import plural
    count, quantity = rng.choice(COUNTS)
    chosen = {g: rng.choice(v) for g, v in product.options.items() if rng.random() < 0.7}
    after = next((SAID_AFTER[g].format(v) for g, v in chosen.items()
                  if g in SAID_AFTER and rng.random() < 0.4), None)
    before = [v for g, v in chosen.items() if after != SAID_AFTER.get(g, "").format(v)]
    is_packed = product.unit != "each" and (
        product.name in MASS or rng.random() < 0.5)
    if is_packed:
        unit = product.unit if quantity == 1 else plural(product.unit)
        said = f"{count} {unit} of {' '.join([*before, product.name])}"
    else:
        said = f"{count} {' '.join([*before, _count_form(product.name, quantity)])}"
    if after is not None:
        said += f" {after}"
    expected = Expected(product.sku, quantity, product.unit, tuple(sorted(chosen.items())))
    return said, expected


def commands(products: Sequence[_Product], count: int, seed: int = 5) -> list[Command]:
    """``count`` commands: mostly orders (one or two products), some other requests."""
    rng = random.Random(seed)
    found = [Command(text, intent) for text, intent in FIXED]
    while len(found) < count:
        roll = rng.random()
        if roll < 0.15:
            index = rng.randrange(len(OTHERS))
            product = rng.choice(products)
            found.append(Command(OTHERS[index].format(product.name), OTHER_INTENTS[index],
                                 (Expected(product.sku, 1, product.unit, ()),)))
            continue
        first, second = rng.sample(list(products), 2)
        said, expected = _phrase(first, rng)
        items = [expected]
        if roll > 0.75:
            more, other = _phrase(second, rng)
            said, items = f"{said} and {more}", [expected, other]
        found.append(Command(rng.choice(ASKS).format(said), IntentName.ADD_ITEM, tuple(items)))
    return found[:count]


def verdict(intent: Intent, is_understood: bool, command: Command) -> str:
    """"correct", "wrong" or "rejected"."""
    if not is_understood or intent.intent is IntentName.UNKNOWN:
        return "rejected"
    if intent.intent is not command.intent or len(intent.items) != len(command.items):
        return "wrong"
    for item, expected in zip(intent.items, command.items, strict=True):
        if item.sku != expected.sku:
            return "wrong"
        if command.intent is IntentName.ADD_ITEM and (
                (item.quantity or 1) != expected.quantity or item.fraction is not None
                or tuple(sorted(item.options.items())) != expected.options
                or item.unit not in (None, expected.unit)):
            return "wrong"
    return "correct"


class Speaker:
    """Says a text in a voice as 16 kHz int16 audio (Piper loaded once)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._piper: PiperTTS | None = None

    def say(self, text: str, voice: str, rate: float) -> np.ndarray:
        room = np.zeros(int(ROOM_S * SAMPLE_RATE_HZ), np.int16)
        return np.concatenate([room, self._voice(text, voice, rate), room])

    def _voice(self, text: str, voice: str, rate: float) -> np.ndarray:
        if voice == "piper":
            if self._piper is None:
                self._piper = PiperTTS(PiperSettings(length_scale=rate))
            return self._piper.synthesize_all(text)
        path = self.folder / "espeak.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(int(rate)), "-w", str(path), text],
                       check=True, capture_output=True)
        return read_audio(path)


def _summary(intent: Intent) -> str:
    """An intent in one line: "add_item G01 x2 bag {size: large}"."""
    items = [f"{i.sku} x{i.quantity or 1}{f' {i.unit}' if i.unit else ''}"
             f"{f' {dict(i.options)}' if i.options else ''}" for i in intent.items]
    return " ; ".join([str(intent.intent), *items])


def _readings(transcript: Transcript) -> str:
    """Every reading scored, with its log-likelihood where the recogniser gave one."""
    scores = list(transcript.log_likelihoods or ())
    sentences = (transcript.text, *transcript.alternatives)
    return " | ".join(f"{s} ({scores[i]:.1f})" if i < len(scores) else s
                      for i, s in enumerate(sentences))


def run(engine: str, models_dir: Path, count: int, voices: Sequence[tuple[str, float]] = VOICES,
        failures: Path | None = None) -> Iterator[str]:
    """Report lines per catalog and voice; every failing command into ``failures`` (TSV)."""
    from ..assistant import Assistant
    from ..config import AppSettings, SpeechSettings
    from ..shop.engine import Shop
    from ..understand import understand
    rows: list[tuple[str, ...]] = []
    totals: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory() as tmp:
        speaker = Speaker(Path(tmp))
        for catalog, text in CATALOGS.items():
            csv_path = Path(tmp) / f"{catalog}.csv"
            csv_path.write_text(text)
            db = Path(tmp) / f"{catalog}.db"
            Shop.open(db, create=True).import_catalog(csv_path)
            assistant = Assistant(AppSettings(db_path=db, models_dir=models_dir,
                                              speech=SpeechSettings(engine=engine)))
            started = time.perf_counter()
            stt: SpeechToText = assistant.stt
            parser = assistant.parser
            said = commands(catalog_products(text), count)
            typed = sum(verdict(parser.parse(c.text), True, c) == "correct" for c in said)
            yield (f"synthetic speech, {catalog} catalog ({len(said)} commands, engine "
                   f"{stt.name}, ready in {time.perf_counter() - started:.1f} s): typed "
                   f"{100 * typed / len(said):.1f}% right")
            for voice, rate in voices:
                tally = Tally()
                for command in said:
                    audio = speaker.say(command.text, voice, rate)
                    started = time.perf_counter()
                    transcript = stt.transcribe(speech_span(audio))
                    tally.decode_s += time.perf_counter() - started
                    tally.audio_s += len(audio) / SAMPLE_RATE_HZ
                    result = understand(transcript, parser)
                    judged = verdict(result.intent, result.is_understood, command)
                    setattr(tally, judged, getattr(tally, judged) + 1)
                    if judged != "correct":
                        rows.append((stt.name, catalog, voice, judged, command.text,
                                     transcript.text, result.text, _summary(result.intent),
                                     _readings(transcript)))
                total = totals.setdefault(voice, Tally())
                for name in ("correct", "wrong", "rejected", "audio_s", "decode_s"):
                    setattr(total, name, getattr(total, name) + getattr(tally, name))
                yield tally.line(f"  {catalog}, {voice}")
    for voice, total in totals.items():
        yield total.line(f"  both catalogs, {voice}")
    if failures is not None:
        with failures.open("w", newline="") as f:
            out = csv.writer(f, delimiter="\t")
            out.writerow(("engine", "catalog", "voice", "verdict", "said", "heard",
                          "understood_from", "understood_as", "readings"))
            out.writerows(rows)
        yield f"  {len(rows)} failing commands written to {failures}"
