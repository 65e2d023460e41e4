#!/usr/bin/env bash
# The main job on the embedded default: set up when needed, create the demo shop, and run a
# demo conversation through the full dialog and cart.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DB=${VOICE_SHOP_DB:-catalog.db}
[ -f "$DB" ] || .venv/bin/voice-shop init --demo --db "$DB"
.venv/bin/voice-shop chat --db "$DB" <<'SCRIPT'
add two bananas and a large oat milk latte
add milk
the oat one
what's in my cart
check out
yes
SCRIPT
