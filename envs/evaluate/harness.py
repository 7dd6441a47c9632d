"""``dsfix eval``: many predictions, a worker pool, the official log layout and summary.

Layout (as SWE-bench's): ``<output>/logs/run_evaluation/<run_id>/<model>/<instance_id>/`` per
instance, and the summary ``<output>/<model>.<run_id>.json`` with ``resolved_ids``,
``unresolved_ids``, ``error_ids``, ``empty_patch_ids`` (plus ``error_reasons``, dsfix's own).
"""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..sources import Sources
from .dataset import KEY_MODEL, KEY_PATCH, DatasetError
from .run import STOP, evaluate_instance, remove_live_containers

LOG_ROOT = Path("logs") / "run_evaluation"


def model_dir_name(name: str) -> str:
    return (name or "dsfix").replace("/", "__")


def run_evaluation(dataset: list[dict], predictions: dict[str, dict], *, run_id: str,
                   output: Path = Path("."), instance_ids: list[str] | None = None, workers: int = 1,
                   timeout: int = 1800, sources: Sources | None = None, client=None, pull: bool = True,
                   python_fallback: bool = False, run_empty: bool = False, min_free: float | None = None,
                   progress: bool = True, console=None) -> dict:
    """Evaluate; returns the summary dict (also written as ``<model>.<run_id>.json``)."""
    from rich.console import Console
    console = console or Console(stderr=True)
    by_id = {r["instance_id"]: r for r in dataset}
    wanted = list(instance_ids) if instance_ids else [i for i in by_id if i in predictions]
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise DatasetError(f"instance ids not in the dataset: {', '.join(unknown[:10])}")
    if not wanted:
        raise DatasetError("no instance to evaluate (no prediction matches the dataset)")
    missing_pred = [i for i in wanted if i not in predictions]
    todo = [i for i in wanted if i in predictions]
    names = {predictions[i].get(KEY_MODEL) or "dsfix" for i in todo}
    model = model_dir_name(sorted(names)[0]) if len(names) == 1 else "dsfix"
    output = Path(output)
    sources = sources or Sources()
    if client is None:
        from ..docker_env import docker_client
        client = docker_client(timeout=600)

    results: dict[str, dict] = {}
    lock = threading.Lock()

    def one(iid: str) -> dict:
        pred = predictions[iid]
        d = output / LOG_ROOT / run_id / model_dir_name(pred.get(KEY_MODEL) or model) / iid
        d.mkdir(parents=True, exist_ok=True)
        r = evaluate_instance(by_id[iid], pred.get(KEY_PATCH), client=client, sources=sources, log_dir=d,
                              model_name=model, timeout=timeout, pull=pull, python_fallback=python_fallback,
                              run_empty=run_empty, min_free=min_free)
        if failure_label(r) == "infra":   # labelled in the instance's report too, as swebench 5.x does
            write_infra_report(d / "report.json", iid, pred.get(KEY_PATCH), r)
        return r

    t0 = time.monotonic()
    STOP.clear()
    ctx = _progress(console, len(todo)) if progress else None
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        _collect(ctx, pool, one, todo, results, lock)
    except BaseException:   # Ctrl-C / SIGTERM: no container is left behind
        pool.shutdown(wait=False, cancel_futures=True)
        remove_live_containers()
        raise
    pool.shutdown(wait=True)
    summary = make_summary(dataset, predictions, results, wanted, missing_pred, run_id, model)
    summary["seconds"] = round(time.monotonic() - t0, 3)
    output.mkdir(parents=True, exist_ok=True)
    path = output / f"{model}.{run_id}.json"
    path.write_text(json.dumps(summary, indent=4))
    summary["summary_path"] = str(path)
    summary["results"] = results
    return summary


def _collect(ctx, pool, one, todo, results, lock) -> None:
    with (ctx or _Null()) as prog:
        task = prog.add_task("evaluating", total=len(todo)) if ctx else None
        futs = {pool.submit(one, i): i for i in todo}
        for fut in as_completed(futs):
            iid = futs[fut]
            try:
                r = fut.result()
            except Exception as e:  # noqa: BLE001 - never lose an instance to a bug
                r = {"instance_id": iid, "status": "error", "error": f"{type(e).__name__}: {e}",
                     "error_kind": "engine", "seconds": {}, "built": []}
            with lock:
                results[iid] = r
            if ctx:
                prog.update(task, advance=1, description=f"{iid}: {r['status']}")


# Errors that say nothing about the prediction (swebench 5.x's "infrastructure failures"): the
# image, the engine, the sources, an interrupted run. A patch that does not apply is the
# prediction's own error; a timeout is ambiguous (a hung test or a patch that loops).
INFRA_KINDS = frozenset({"image", "python", "disk", "source", "spec", "engine", "network", "service", "interrupted"})
AMBIGUOUS_KINDS = frozenset({"timeout"})


def failure_label(r: dict) -> str | None:
    """"infra", "ambiguous" or None for one instance's result."""
    if r.get("status") == "error":
        kind = r.get("error_kind")
        return "infra" if kind in INFRA_KINDS else "ambiguous" if kind in AMBIGUOUS_KINDS else None
    return "ambiguous" if r.get("ambiguous") else None


def write_infra_report(path: Path, iid: str, patch: str | None, r: dict) -> None:
    path.write_text(json.dumps({iid: {
        "patch_is_None": patch is None, "patch_exists": bool((patch or "").strip()),
        "patch_successfully_applied": False, "resolved": False, "infra_failure": True,
        "infra_failure_reason": f"{r.get('error_kind')}: {(r.get('error') or '')[:500]}"}}, indent=4))


def make_summary(dataset, predictions, results, wanted, missing_pred, run_id, model) -> dict:
    """The run report: swebench 5.x's fields (schema_version 2), plus the older ``error_reasons``."""
    bucket = {i: "empty" if r.get("empty_patch") else r["status"] for i, r in results.items()}
    ids = {s: sorted(i for i, b in bucket.items() if b == s) for s in ("resolved", "unresolved", "error", "empty")}
    label = {i: failure_label(r) for i, r in results.items()}
    infra = sorted(i for i, lab in label.items() if lab == "infra")
    ambiguous = sorted(i for i, lab in label.items() if lab == "ambiguous")
    completed = sorted(ids["resolved"] + ids["unresolved"])
    reasons = {i: f"{results[i].get('error_kind') or 'ambiguous'}: {(results[i].get('error') or '')[:300]}"
               for i in sorted(set(ids["error"]) | set(ambiguous))}
    return {
        "total_instances": len(dataset),
        "submitted_instances": len(predictions),
        "completed_instances": len(completed),
        "resolved_instances": len(ids["resolved"]),
        "unresolved_instances": len(ids["unresolved"]),
        "infra_failure_instances": len(infra),
        "ambiguous_failure_instances": len(ambiguous),
        "empty_patch_instances": len(ids["empty"]),
        "error_instances": len(ids["error"]),
        "completed_ids": completed,
        "incomplete_ids": sorted(missing_pred),
        "empty_patch_ids": ids["empty"],
        "submitted_ids": sorted(predictions),
        "resolved_ids": ids["resolved"],
        "unresolved_ids": ids["unresolved"],
        "infra_failure_ids": infra,
        "ambiguous_failure_ids": ambiguous,
        "failure_reasons": reasons,
        "error_ids": ids["error"],
        "error_reasons": {i: reasons[i] for i in ids["error"]},
        "run_id": run_id, "model_name_or_path": model,
        "schema_version": 2,
    }


def print_table(summary: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table
    console = console or Console()
    t = Table(title=f"dsfix eval {summary['run_id']} ({summary['model_name_or_path']})")
    for col in ("instance", "status", "image", "built", "build s", "tests s", "total s", "why"):
        t.add_column(col)
    style = {"resolved": "green", "unresolved": "yellow", "error": "red", "empty": "dim"}
    for iid, r in sorted(summary["results"].items()):
        s = r.get("seconds", {})
        build_s = sum(v for k, v in s.items() if k.startswith("build_"))
        t.add_row(iid, f"[{style[r['status']]}]{r['status']}[/]", (r.get("image") or "-").split("/")[-1][:28],
                  ",".join(r.get("built") or []) or "-", f"{build_s:.1f}", f"{s.get('tests', 0):.1f}",
                  f"{s.get('total', 0):.1f}", (f"{r.get('error_kind')}: {(r.get('error') or '')[:60]}"
                                               if r["status"] == "error" else ""))
    console.print(t)
    console.print(f"resolved {summary['resolved_instances']}, unresolved {summary['unresolved_instances']}, "
                  f"empty {summary['empty_patch_instances']}, error {summary['error_instances']} "
                  f"(infrastructure {summary['infra_failure_instances']}, "
                  f"ambiguous {summary['ambiguous_failure_instances']}) "
                  f"of {len(summary['results'])} evaluated; summary: {summary.get('summary_path')}")


def _progress(console, total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False
