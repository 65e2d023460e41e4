"""Real recorded orders through the device's own path: `voice-shop listen --no-wake`.

`bench --real` decodes each recording cut to its speech; `listen` hears it as the device
hears a microphone (Silero's cut, the early end at a pause after a complete command, the
dialog). Each file's first understood-or-not intent is judged as the bench judges it, and
correct / wrong / rejected are printed, with the files that were not right. Usage:
python scripts/eval_listen.py [ORDERS_DIR]   (default ../shared/audio/coffee-orders)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from voice_shop.bench.real_bench import expected_from_label, judge
from voice_shop.intent.model import Intent
from voice_shop.shop.engine import Shop

ORDERS = Path(__file__).resolve().parents[2] / "shared" / "audio" / "coffee-orders"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders", nargs="?", type=Path, default=ORDERS)
    folder = parser.parse_args().orders
    if not (folder / "labels.json").exists():
        print(f"error: no labels.json in {folder}", file=sys.stderr)
        return 1
    labels = json.loads((folder / "labels.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "orders.db"
        shop = Shop.open(db, create=True)
        shop.import_catalog(folder / "catalog.csv")
        products = shop.products()
        shop.close()
        expected = {str(folder / "clips" / name): expected_from_label(label, products)
                    for name, label in sorted(labels.items())}
        clips = {path: e for path, e in expected.items() if e is not None}
        args = [str(Path(sys.executable).with_name("voice-shop")), "listen", "--db", str(db),
                "--no-wake", "--json", "--reply-dir", str(Path(tmp) / "replies")]
        for path in clips:
            args += ["--wav", path]
        out = subprocess.run(args, capture_output=True, text=True).stdout
    first: dict[str, dict] = {}
    for line in out.splitlines():
        event = json.loads(line)
        if event.get("event") == "intent":
            first.setdefault(event["file"], event)
    verdicts: Counter[str] = Counter()
    for path, wanted in clips.items():
        event = first.get(path)
        verdict = ("rejected" if event is None or not event["understood"]
                   else judge(Intent.from_dict(event["intent"]), wanted))
        verdicts[verdict] += 1
        if verdict != "correct":
            print(f"{verdict:8} {Path(path).name}: {event['text'] if event else ''}")
    total = len(clips)
    print(f"{total} files through listen --no-wake: "
          + ", ".join(f"{kind} {100 * verdicts[kind] / total:.1f}% ({verdicts[kind]})"
                      for kind in ("correct", "wrong", "rejected")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
