"""action.yml and the example workflow: valid against the official schemas (check-jsonschema's vendored
copies), clean under zizmor (offline, nothing of medium severity or above), and shaped as docs/github.md says.

check-jsonschema and zizmor come with the dev extra (`pip install -e '.[dev]'`)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "dsfix.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: install the dev extra (pip install -e '.[dev]')")
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return str(path)


@pytest.mark.parametrize("schema,path", [("vendor.github-actions", ACTION), ("vendor.github-workflows", WORKFLOW)])
def test_valid_against_the_official_schema(schema, path):
    r = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, str(path)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_above():
    r = subprocess.run([tool("zizmor"), "--offline", "--format", "json", "--min-severity", "medium",
                        str(ACTION), str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    findings = json.loads(r.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:3000]
    # The one inline suppression is the issue_comment trigger, with its justification next to it.
    ignores = [ln for ln in (ACTION.read_text() + WORKFLOW.read_text()).splitlines() if "zizmor: ignore" in ln]
    assert ignores == ["  issue_comment: # zizmor: ignore[dangerous-triggers]"]
    assert "only OWNER/MEMBER/COLLABORATOR comments start a run" in WORKFLOW.read_text()


def _run_blocks(doc: dict) -> list[str]:
    steps = doc.get("runs", {}).get("steps", []) + [s for j in doc.get("jobs", {}).values() for s in j.get("steps", [])]
    return [s["run"] for s in steps if "run" in s]


def test_untrusted_text_never_reaches_a_script():
    for path in (ACTION, WORKFLOW):
        doc = yaml.safe_load(path.read_text())
        for script in _run_blocks(doc):
            assert "${{" not in script, f"{path.name}: expression inside run: {script[:80]}"
    text = ACTION.read_text() + WORKFLOW.read_text()
    for field in ("issue.title", "issue.body", "comment.body"):
        uses = [ln for ln in text.splitlines() if field in ln]
        assert all("startsWith(" in ln for ln in uses), uses   # only in the job's `if:`, never in a script


def test_workflow_triggers_permissions_and_pins():
    wf = yaml.safe_load(WORKFLOW.read_text())
    on = wf[True] if True in wf else wf["on"]     # YAML 1.1 reads `on` as a boolean
    assert on == {"issues": {"types": ["labeled"]}, "issue_comment": {"types": ["created"]}}
    assert wf["permissions"] == {}
    job = wf["jobs"]["fix"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}
    cond = " ".join(job["if"].split())
    assert "github.event.label.name == 'dsfix'" in cond and "startsWith(github.event.comment.body, '/dsfix')" in cond
    assert '["OWNER", "MEMBER", "COLLABORATOR"]' in cond and "!github.event.issue.pull_request" in cond
    step = job["steps"][-1]["with"]
    assert step["deepseek-api-key"] == "${{ secrets.DEEPSEEK_API_KEY }}"
    assert step["github-token"] == "${{ secrets.GITHUB_TOKEN }}"
    for path in (ACTION, WORKFLOW):
        for ref in re.findall(r"(?m)^\s*(?:- )?uses:\s*(\S+)", path.read_text()):
            assert ref == "./" or re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
    action = yaml.safe_load(ACTION.read_text())
    upload = [s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(upload) == 1 and upload[0]["if"].startswith("always()")


def test_action_runs_dsfix_with_open_pr_and_the_secrets_only_in_env():
    action = yaml.safe_load(ACTION.read_text())
    run = next(s for s in action["runs"]["steps"] if s.get("id") == "fix")
    assert run["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert run["env"]["DEEPSEEK_API_KEY"] == "${{ inputs.deepseek-api-key }}"
    assert 'args=(fix "$ISSUE_URL" --open-pr --out "$DSFIX_OUT")' in run["run"]
    assert "--branch" in run["run"] and "DSFIX_ARTIFACT_NAME" in run["env"]
