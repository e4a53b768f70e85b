#!/usr/bin/env bash
# The bench target: every benchmark with small counts, in under five minutes.
# Usage: bench/quick.sh            (from anywhere; uses the project's .venv when present)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${VIRTUAL_ENV:-}" && -f .venv/bin/activate ]]; then
    # shellcheck disable=SC1091
    source .venv/bin/activate
fi
exec python -m bench quick "$@"
