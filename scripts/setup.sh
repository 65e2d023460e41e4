#!/usr/bin/env bash
# Prepare a fresh Debian machine: system audio/speech packages, then the project in .venv.
# Safe to run again: it installs only what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium + chromium-driver: the household page is tested in a real headless browser.
DEBIAN_PACKAGES=(libportaudio2 espeak-ng sox libsndfile1 chromium chromium-driver)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

stamp=.venv/.voice-shop-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/voice-shop ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing voice-shop into .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

# GE2E speaker-encoder weights: fetched from the pinned resemblyzer wheel (hash checked,
# no dependencies, so no torch) and kept in models/.
[ -f models/ge2e-resemblyzer-0.1.4.pt ] || .venv/bin/python -m voice_shop.speaker.weights models

# Moonshine base-en: the wheel's graphs prepared once for this CPU (int8 weights, no download).
.venv/bin/python -m voice_shop.stt.moonshine_prepare models >/dev/null
