#!/usr/bin/env bash
# The main job (README): dsfix repairs the example repository in examples/inventory,
# proving the patch with the repository's tests in a Docker container.
# With DSFIX_MODEL__NAME set (and its API key, e.g. DEEPSEEK_API_KEY) a real model works;
# without, the *scripted model* replays examples/inventory.replay.json (not a real model).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
WORK=$(mktemp -d /tmp/dsfix-demo.XXXXXX)
cp -r examples/inventory "$WORK/inventory"
git -C "$WORK/inventory" init -q
git -C "$WORK/inventory" add -A
git -C "$WORK/inventory" -c user.name=demo -c user.email=demo@localhost commit -qm "example repository"
if [ -n "${DSFIX_MODEL__NAME:-}" ]; then
  MODEL=$DSFIX_MODEL__NAME
elif [ -n "${DEEPSEEK_API_KEY:-}" ]; then
  MODEL=deepseek/deepseek-v4-flash
else
  MODEL="scripted/$PWD/examples/inventory.replay.json"
  echo "demo: no model configured; using the SCRIPTED model (a replay of recorded answers, not a real model)" >&2
fi
set +e
.venv/bin/dsfix fix "$WORK/inventory" --issue-file "$WORK/inventory/ISSUE.md" --model "$MODEL" --out "$WORK/out" "$@"
code=$?
set -e
echo "--- patch ($WORK/out/patch.diff) ---"
cat "$WORK/out/patch.diff"
exit $code
