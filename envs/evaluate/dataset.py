"""Datasets (local JSON/JSONL, or a Hugging Face name through `datasets` when installed) and
predictions (JSONL/JSON, or ``gold`` / ``empty``)."""
from __future__ import annotations

import json
from pathlib import Path

KEY_ID, KEY_PATCH, KEY_MODEL = "instance_id", "model_patch", "model_name_or_path"


class DatasetError(ValueError):
    """Bad dataset or predictions input (exit code 2)."""


def _read_json_rows(path: Path) -> list[dict]:
    text = path.read_text()
    if path.suffix == ".jsonl" or (text.lstrip()[:1] == "{" and "\n{" in text.strip()):
        try:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path}: not JSON lines: {e}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}: not JSON: {e}") from None
    if isinstance(data, dict):   # {"id": {...}} or one row
        data = [data] if KEY_ID in data else [{KEY_ID: k, **v} for k, v in data.items()]
    if not isinstance(data, list):
        raise DatasetError(f"{path}: expected a list of rows")
    return data


def _listish(v) -> list[str]:
    if isinstance(v, str):
        v = json.loads(v) if v.strip() else []
    return list(v or [])


def normalize(row: dict) -> dict:
    row = dict(row)
    for k in ("instance_id", "repo", "base_commit", "test_patch"):
        if not row.get(k) and k != "test_patch":
            raise DatasetError(f"dataset row {row.get('instance_id', '?')} lacks {k!r}")
    row["FAIL_TO_PASS"] = _listish(row.get("FAIL_TO_PASS"))
    row["PASS_TO_PASS"] = _listish(row.get("PASS_TO_PASS"))
    row.setdefault("environment_setup_commit", row["base_commit"])
    row["environment_setup_commit"] = row["environment_setup_commit"] or row["base_commit"]
    row["version"] = str(row.get("version", ""))
    row.setdefault("patch", "")
    return row


def load_dataset(name: str, split: str = "test") -> list[dict]:
    """Rows of a local JSON/JSONL file, or of a Hugging Face dataset (needs `datasets`)."""
    p = Path(name).expanduser()
    if p.is_file():
        rows = _read_json_rows(p)
    elif p.suffix in (".json", ".jsonl") or "/" not in name:
        raise DatasetError(f"no such dataset file: {name}")
    else:
        try:
            import datasets  # noqa: PLC0415 - optional, heavy
        except ImportError:
            raise DatasetError(f"{name!r} is not a local file; loading Hugging Face datasets needs the "
                               f"`datasets` package (pip install 'dsfix[datasets]' or pip install datasets)") from None
        try:
            rows = [dict(r) for r in datasets.load_dataset(name, split=split)]
        except Exception as e:  # noqa: BLE001 - network, unknown name, ...
            raise DatasetError(f"cannot load Hugging Face dataset {name!r} ({split}): {e}") from None
    return [normalize(r) for r in rows]


def load_predictions(arg: str, dataset: list[dict]) -> dict[str, dict]:
    """instance_id -> {model_patch, model_name_or_path}; ``gold`` and ``empty`` are built in."""
    if arg in ("gold", "empty"):
        return {r[KEY_ID]: {KEY_ID: r[KEY_ID], KEY_MODEL: arg,
                            KEY_PATCH: r.get("patch", "") if arg == "gold" else ""} for r in dataset}
    p = Path(arg).expanduser()
    if not p.is_file():
        raise DatasetError(f"predictions: no such file {arg} (or use 'gold' / 'empty')")
    out = {}
    for row in _read_json_rows(p):
        if KEY_ID not in row:
            raise DatasetError(f"{p}: a prediction lacks {KEY_ID!r}")
        row.setdefault(KEY_MODEL, "dsfix")
        row[KEY_MODEL] = row[KEY_MODEL] or "dsfix"
        out[row[KEY_ID]] = row
    return out
