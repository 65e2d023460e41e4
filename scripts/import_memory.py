"""Measure a catalog import: generate N rows of CSV, import it with ``voice-shop catalog
import`` in a child process, and print the time and the child's peak RSS.

    .venv/bin/python scripts/import_memory.py 1000000 /tmp/big
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

HEADER = "sku,name,category,unit,price,aliases,tags,stock,brand,description,options\n"


def write_catalog(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write(HEADER)
        for i in range(rows):
            out.write(f'SKU{i:07d},Product number {i} deluxe,category {i % 40},each,'
                      f'{i % 997}.{i % 100:02d},alias {i};other name {i},vegan;organic,'
                      f'{i % 500},Brand {i % 300},"A fine product, number {i}, sold each.",'
                      f'"size: small|medium|large; milk: oat milk|whole milk"\n')


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    folder = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/voice-shop-import")
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, db = folder / f"catalog-{rows}.csv", folder / "import.db"
    if not csv_path.exists():
        write_catalog(csv_path, rows)
    for stale in folder.glob("import.db*"):
        stale.unlink()
    exe = Path(sys.executable).with_name("voice-shop")
    started = time.perf_counter()
    subprocess.run([str(exe), "catalog", "import", str(csv_path), "--db", str(db), "--json"],
                   check=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = csv_path.stat().st_size / 1e6
    print(f"{rows} rows, {size_mb:.0f} MB CSV: imported in {seconds:.1f} s, "
          f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
