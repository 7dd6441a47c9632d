"""The output directory of a batch run. Only the coordinator writes here, and every write of a
shared file is an atomic replace, so preds.jsonl is valid JSONL at every moment, even under kill -9."""
from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class RunStore:
    def __init__(self, out: Path, lock: bool = True):
        """With ``lock`` (a run that writes), holds an exclusive lock on ``out`` for its life: a
        second batch on the same output would run instances twice and mix their trajectories
        (RuntimeError: the CLI's exit 2). Reading a report needs no lock."""
        self.out = out
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "instances").mkdir(exist_ok=True)
            if lock:
                self._lock = open(out / ".lock", "w")
        except OSError as e:
            raise RuntimeError(f"cannot write the batch output {out}: {e.strerror or e}") from None
        if lock:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock.close()
                raise RuntimeError(f"another dsfix bench is writing to {out}; wait for it or give another --output") from None
        self.preds_path = out / "preds.jsonl"
        self.results_path = out / "results.jsonl"
        self._preds = _read_jsonl(self.preds_path)
        self._results = {r["instance_id"]: r for r in _read_jsonl(self.results_path)}

    def instance_dir(self, instance_id: str) -> Path:
        return self.out / "instances" / instance_id

    def done_ids(self, retry_errors: bool) -> set[str]:
        """Instances to skip on resume: finished ones, and infrastructure errors unless retried."""
        return {i for i, r in self._results.items() if r["outcome"] != "error" or not retry_errors}

    def record(self, result: dict) -> None:
        """Save one finished instance: its prediction (unless it was an infrastructure error) and result."""
        iid = result["instance_id"]
        if result["outcome"] != "error":
            self._preds = [p for p in self._preds if p["instance_id"] != iid]
            self._preds.append({"instance_id": iid, "model_name_or_path": result["model_name_or_path"],
                                "model_patch": result.get("model_patch", "")})
            _atomic_write(self.preds_path, "".join(json.dumps(p) + "\n" for p in self._preds))
        self._results[iid] = {k: v for k, v in result.items() if k != "model_patch"}
        _atomic_write(self.results_path, "".join(json.dumps(r) + "\n" for r in self._results.values()))

    def results(self) -> list[dict]:
        return list(self._results.values())

    def write_run_json(self, info: dict) -> None:
        _atomic_write(self.out / "run.json", json.dumps(info, indent=2, default=str))
