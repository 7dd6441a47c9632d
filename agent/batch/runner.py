"""Coordinate a batch run: skip finished instances, start new ones within the budget, record results."""
from __future__ import annotations

import platform
import shutil
import subprocess
import time
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console

from .budget import Budget
from .dashboard import summary_table
from .executors import make_executor
from .progress import Progress
from .store import RunStore


@dataclass
class BatchOptions:
    instances: list[dict]
    model: str
    output: Path
    workers: int = 1
    executor: str = "local"
    ray_address: str | None = None
    mirrors: str | None = None
    max_total_cost: float | None = None
    retry_errors: bool = False
    overrides: dict = field(default_factory=dict)   # settings for every instance (env, limits, ...)
    instance_images: bool = True                    # SWE-bench rows run in their instance image
    dataset: str = ""


def dsfix_revision() -> str | None:
    src = Path(__file__).resolve().parents[2]
    r = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() or None


def _run_info(o: BatchOptions) -> dict:
    from dsfix.agent import __version__
    info = {k: v for k, v in asdict(o).items() if k != "instances"}
    info.update(dsfix=__version__, dsfix_revision=dsfix_revision(), python=platform.python_version(),
                instance_ids=[i["instance_id"] for i in o.instances], started=time.strftime("%Y-%m-%dT%H:%M:%S"))
    return info


def _shared_model(o: BatchOptions, stack: ExitStack) -> str:
    """`--model local`: one server for every worker, started here and stopped at the end (not one each).
    Returns the model string workers use."""
    from dsfix.agent.backend import is_local, local_model
    from dsfix.agent.config import ModelSettings, load_settings, merge
    if not is_local(o.model):
        return o.model
    opts = load_settings(None).local.model_copy(update={"parallel": o.workers})  # a slot per worker
    routed = stack.enter_context(local_model(ModelSettings(name=o.model), opts))
    o.overrides = merge(o.overrides, {"model": {"api_base": routed.api_base,
                                                "price": routed.price.model_dump() if routed.price else None}})
    return routed.name


def _job(o: BatchOptions, store: RunStore, iid: str, stop_file: Path, model: str) -> dict:
    limits = {**o.overrides.get("limits", {}), "stop_file": str(stop_file)}
    return {"model": model, "model_name": o.model, "mirrors": o.mirrors, "out": str(store.instance_dir(iid)),
            "instance_images": o.instance_images,
            "overrides": {**o.overrides, "limits": limits}}


def _failed_row(iid: str, model: str, exc: BaseException) -> dict:
    return {"instance_id": iid, "model_name_or_path": model, "outcome": "error", "status": None,
            "verified": False, "cost_usd": 0.0, "cost_known": True, "steps": 0,
            "error": f"worker died: {type(exc).__name__}: {str(exc)[:300]}"}


def run_batch(o: BatchOptions, console: Console | None = None) -> dict:
    console = console or Console(stderr=True)
    store = RunStore(o.output)
    skip = store.done_ids(o.retry_errors)
    pending = [i for i in o.instances if i["instance_id"] not in skip]
    store.write_run_json(_run_info(o))
    budget = Budget(o.max_total_cost, o.output / "STOP")
    stack = ExitStack()
    model = _shared_model(o, stack)
    executor = make_executor(o.executor, o.workers, o.ray_address)
    try:
        with Progress(console, len(o.instances)) as progress:
            _drive(o, store, budget, executor, model, pending, progress)
    finally:
        executor.shutdown()
        stack.close()   # stops a shared local model server
    console.print(summary_table(store.results(), len(o.instances), len(pending)))
    return {"results": store.results(), "not_started": [i["instance_id"] for i in pending]}


def _drive(o: BatchOptions, store: RunStore, budget: Budget, executor, model: str, pending: list[dict],
           progress: Progress) -> None:
    """Start instances while workers and budget allow, record each as it ends; ``pending`` keeps
    what never started."""
    finished_cost = lambda: sum(r.get("cost_usd") or 0.0 for r in store.results())  # noqa: E731
    running: dict = {}
    while pending or running:
        dirs = [store.instance_dir(i) for i in running.values()]
        while pending and len(running) < o.workers and not budget.exhausted(finished_cost(), dirs):
            iid = pending[0]["instance_id"]
            shutil.rmtree(store.instance_dir(iid), ignore_errors=True)  # a retried instance starts clean
            running[executor.submit(pending.pop(0), _job(o, store, iid, budget.stop_file, model))] = iid
            progress.started(iid)
            dirs = [store.instance_dir(i) for i in running.values()]
        if not running:
            break  # budget reached: what is pending stays not started
        done, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
        for fut in done:
            row = _result(fut, running.pop(fut), o.model)
            store.record(row)
            progress.finished(row)
        budget.exhausted(finished_cost(), [store.instance_dir(i) for i in running.values()])
        progress.refresh(store.results(), list(running.values()))


def _result(fut, iid: str, model: str) -> dict:
    try:
        return fut.result()
    except BaseException as e:  # noqa: BLE001 - a dead worker is an infrastructure error
        return _failed_row(iid, model, e)
