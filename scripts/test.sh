#!/usr/bin/env bash
# The test command (README): provisions everything the suite needs, then runs it.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k envs`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh dev
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec .venv/bin/python -m pytest "$@"
