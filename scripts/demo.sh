#!/usr/bin/env bash
# The main job on the embedded default: set up when needed, create the demo shop, speak a
# shopper's lines into WAV files, and run them through the whole listen loop (the default
# wake word "Okay Nabu" on microWakeWord, Silero VAD, Moonshine, dialog, cart, Piper).
# Spoken replies land in demo/replies/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DB=${VOICE_SHOP_DB:-catalog.db}
[ -f "$DB" ] || .venv/bin/voice-shop init --demo --db "$DB"
mapfile -t files < <(.venv/bin/python scripts/make_demo_audio.py demo)
args=()
for f in "${files[@]}"; do args+=(--wav "$f"); done
rm -rf demo/replies
.venv/bin/voice-shop listen --db "$DB" --reply-dir demo/replies "${args[@]}"
echo "spoken replies: demo/replies/"
