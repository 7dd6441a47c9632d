"""eval inputs and the eval script, without containers."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dsfix.envs.evaluate import cli as eval_cli_mod
from dsfix.envs.evaluate.dataset import DatasetError, load_dataset, load_predictions
from evalfixture import FIXTURE_SPEC, GOLD_PATCH, TEST_PATCH
from dsfix.envs.evaluate.harness import make_summary
from dsfix.envs.evaluate.run import END, START, eval_script, modified_files, offline_install, patch_test_files, spec_for
from dsfix.envs.specs import RepoSpec

ROW = {"repo": "o/r", "instance_id": "o__r-1", "base_commit": "b" * 40, "patch": GOLD_PATCH,
       "test_patch": TEST_PATCH, "version": "1.0", "FAIL_TO_PASS": '["t::a"]', "PASS_TO_PASS": [],
       "spec": FIXTURE_SPEC}


def test_datasets_json_jsonl_and_mapping(tmp_path):
    (tmp_path / "d.jsonl").write_text(json.dumps(ROW) + "\n" + json.dumps({**ROW, "instance_id": "o__r-2"}) + "\n")
    rows = load_dataset(str(tmp_path / "d.jsonl"))
    assert [r["instance_id"] for r in rows] == ["o__r-1", "o__r-2"]
    assert rows[0]["FAIL_TO_PASS"] == ["t::a"] and rows[0]["environment_setup_commit"] == "b" * 40
    (tmp_path / "d.json").write_text(json.dumps([ROW]))
    assert load_dataset(str(tmp_path / "d.json"))[0]["instance_id"] == "o__r-1"
    with pytest.raises(DatasetError, match="no such dataset file"):
        load_dataset(str(tmp_path / "missing.jsonl"))
    with pytest.raises(DatasetError, match="lacks 'base_commit'"):
        (tmp_path / "bad.json").write_text(json.dumps([{"instance_id": "x", "repo": "o/r"}]))
        load_dataset(str(tmp_path / "bad.json"))


def test_hf_names_need_datasets(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_datasets(name, *a, **k):
        if name == "datasets":
            raise ImportError("no")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_datasets)
    with pytest.raises(DatasetError, match="needs the `datasets` package"):
        load_dataset("princeton-nlp/SWE-bench_Lite")


def test_predictions_gold_empty_and_file(tmp_path):
    rows = [dict(ROW)]
    assert load_predictions("gold", rows)["o__r-1"]["model_patch"] == GOLD_PATCH
    assert load_predictions("empty", rows)["o__r-1"]["model_patch"] == ""
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps({"instance_id": "o__r-1", "model_patch": "x", "model_name_or_path": "m/x"}) + "\n")
    assert load_predictions(str(p), rows)["o__r-1"]["model_name_or_path"] == "m/x"
    with pytest.raises(DatasetError, match="gold"):
        load_predictions(str(tmp_path / "nope.jsonl"), rows)


def test_eval_script_follows_the_official_harness():
    script = eval_script(ROW, spec_for(ROW))
    lines = script.splitlines()
    assert lines[:2] == ["#!/bin/bash", "set -uxo pipefail"] and "set -e" not in script
    reset = f"git checkout {'b' * 40} tests/test_calc.py"
    assert script.count(reset) == 2                             # before the test patch and after the run
    assert "git apply -v - <<'EOF_114329324912'" in script
    assert f": '{START}'" in script and f": '{END}'" in script
    assert "python -m pytest -rA -p no:cacheprovider tests/test_calc.py" in script
    assert script.index(reset) < script.index("git apply -v -") < script.index(START)
    official = eval_script(ROW, spec_for(ROW), flavor="official")
    assert "conda activate testbed" in official and "/opt/venv" not in official
    assert offline_install("python -m pip install -e .[test]") == "python -m pip install --no-index --no-deps -e .[test]"
    assert offline_install("pip install .") == "pip install --no-index --no-build-isolation --no-deps ."
    sb = eval_script({**ROW, "repo": "psf/requests", "version": "2.4"}, spec_for({"repo": "psf/requests", "version": "2.4"}))
    assert "pip install --no-index --no-build-isolation --no-deps ." in sb


def test_test_files_and_modified_files():
    new = "diff --git a/tests/new_test.py b/tests/new_test.py\nnew file mode 100644\n--- /dev/null\n+++ b/tests/new_test.py\n"
    data = "diff --git a/tests/data.json b/tests/data.json\n--- a/tests/data.json\n+++ b/tests/data.json\n"
    assert patch_test_files(TEST_PATCH + new + data) == ["tests/test_calc.py", "tests/new_test.py"]
    assert modified_files(TEST_PATCH + new) == ["tests/test_calc.py"]
    assert spec_for({"repo": "pallets/flask", "version": "2.3"}).python == "3.11"
    assert isinstance(spec_for(ROW), RepoSpec) and spec_for(ROW).source == "dataset"


def test_summary_uses_official_field_names():
    results = {"a": {"status": "resolved"}, "b": {"status": "unresolved"}, "c": {"status": "error", "error_kind": "image",
               "error": "boom"}, "d": {"status": "empty"}, "e": {"status": "unresolved", "empty_patch": True}}
    s = make_summary([{}] * 6, {k: {} for k in "abcde"}, results, list("abcdef"), ["f"], "r", "m")
    assert s["resolved_ids"] == ["a"] and s["unresolved_ids"] == ["b"] and s["error_ids"] == ["c"]
    assert s["empty_patch_ids"] == ["d", "e"] and s["incomplete_ids"] == ["f"] and s["completed_ids"] == ["a", "b"]
    assert s["error_reasons"]["c"] == "image: boom" and s["schema_version"] == 2
    assert (s["resolved_instances"], s["error_instances"], s["empty_patch_instances"]) == (1, 1, 2)


def test_summary_labels_infrastructure_and_ambiguous_failures_as_swebench_5():
    results = {"img": {"status": "error", "error_kind": "image", "error": "build failed"},
               "eng": {"status": "error", "error_kind": "engine", "error": "died"},
               "apply": {"status": "error", "error_kind": "patch_apply", "error": "did not apply"},
               "slow": {"status": "error", "error_kind": "timeout", "error": "tests timed out"},
               "ok": {"status": "resolved"}}
    s = make_summary([{}] * 5, {k: {} for k in results}, results, list(results), [], "r", "m")
    assert s["infra_failure_ids"] == ["eng", "img"] and s["infra_failure_instances"] == 2
    assert s["ambiguous_failure_ids"] == ["slow"] and s["ambiguous_failure_instances"] == 1
    assert s["error_ids"] == ["apply", "eng", "img", "slow"]      # the older field keeps every error
    assert set(s["failure_reasons"]) == {"apply", "eng", "img", "slow"} and "ok" not in s["failure_reasons"]


def test_cli_bad_input_exits_2(tmp_path):
    r = CliRunner().invoke(eval_cli_mod.app, ["--dataset", str(tmp_path / "no.jsonl"), "--predictions", "gold"])
    assert r.exit_code == 2 and "no such dataset file" in r.output
