"""`dsfix bench`: run a dataset of instances; `dsfix bench report DIR` prints a finished run again."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

bench_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                        help="Batch runs over SWE-bench-style datasets (resumable).")
err = Console(stderr=True)


def _fail(msg: str) -> None:
    err.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@bench_app.callback()
def bench(
    ctx: typer.Context,
    dataset: Optional[str] = typer.Option(None, "--dataset", help="JSON/JSONL file or Hugging Face name."),
    split: str = typer.Option("test", "--split"),
    instance_ids: Optional[List[str]] = typer.Option(None, "--instance-ids", help="Repeat or comma-separate."),
    filter_: Optional[str] = typer.Option(None, "--filter", help="Regex over instance ids."),
    slice_: Optional[str] = typer.Option(None, "--slice", help="A:B over the selected instances."),
    model: Optional[str] = typer.Option(None, "--model", help="litellm model; {instance_id} is substituted."),
    workers: int = typer.Option(max(1, (os.cpu_count() or 2) // 2), "--workers"),
    executor: str = typer.Option("local", "--executor", help="local or ray"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address"),
    output: Path = typer.Option(Path("dsfix-bench"), "--output"),
    mirrors: Optional[str] = typer.Option(None, "--mirrors", help="Dir of OWNER__REPO.git mirrors, or a JSON map."),
    max_total_cost: Optional[float] = typer.Option(None, "--max-total-cost"),
    max_instance_cost: Optional[float] = typer.Option(None, "--max-instance-cost"),
    env: Optional[str] = typer.Option(None, "--env", help="docker (default) or local"),
    image: Optional[str] = typer.Option(None, "--image"),
    max_steps: Optional[int] = typer.Option(None, "--max-steps"),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Run instances that failed on infrastructure again."),
    instance_images: bool = typer.Option(True, "--instance-images/--no-instance-images",
                                         help="Run SWE-bench rows in their layered instance image."),
) -> None:
    if ctx.invoked_subcommand:
        return
    from .dataset import DatasetError, load_dataset, select
    from .runner import BatchOptions, run_batch
    if not dataset or not model:
        _fail("--dataset and --model are required (or: dsfix bench report DIR)")
    if executor not in ("local", "ray"):
        _fail("--executor must be local or ray")
    if workers < 1:
        _fail("--workers must be at least 1")
    ids = [i for chunk in (instance_ids or []) for i in chunk.split(",") if i]
    try:
        rows = select(load_dataset(dataset, split), ids, filter_, slice_)
    except DatasetError as e:
        _fail(str(e))
    if mirrors is not None:
        from dsfix.envs.sources import SourceError, Sources
        try:
            Sources(mirrors)   # a wrong --mirrors is bad input, not one infrastructure error per instance
        except SourceError as e:
            _fail(str(e))
    overrides: dict = {"env": {k: v for k, v in (("kind", env), ("image", image)) if v},
                       "limits": {k: v for k, v in (("max_cost", max_instance_cost), ("max_steps", max_steps)) if v}}
    opts = BatchOptions(rows, model, output, workers, executor, ray_address, mirrors, max_total_cost,
                        retry_errors, overrides, instance_images, dataset)
    try:
        result = run_batch(opts, err)
    except RuntimeError as e:
        _fail(str(e))
    _print_next_steps(output, dataset)
    raise typer.Exit(0 if not result["not_started"] else 1)


def _print_next_steps(output: Path, dataset: str) -> None:
    preds = output / "preds.jsonl"
    err.print(f"predictions: {preds}")
    err.print(f"evaluate with dsfix:   dsfix eval --dataset {dataset} --predictions {preds} --run-id {output.name}")
    err.print(f"official harness:      {official_command(dataset, preds, output.name)}")


def official_command(dataset: str, preds: Path, run_id: str) -> str:
    """swebench 5.x's CLI (DATASET: an alias, a Hugging Face id or a local file, as given to bench)."""
    return f"swebench eval {dataset} -p {preds} --run-id {run_id} -j 8"


@bench_app.command("report")
def report(output: Path = typer.Argument(..., help="A dsfix bench --output directory.")) -> None:
    """Print the summary of a batch run again."""
    from .dashboard import phases_table, summary_table
    from .store import RunStore
    if not (output / "results.jsonl").is_file():
        _fail(f"no batch run in {output} (results.jsonl missing)")
    store = RunStore(output, lock=False)
    info = json.loads((output / "run.json").read_text()) if (output / "run.json").is_file() else {}
    total = len(info.get("instance_ids", [])) or len(store.results())
    err.print(summary_table(store.results(), total, total - len(store.results())))
    if any(r.get("phases") for r in store.results()):
        err.print(phases_table(store.results()))
    _print_next_steps(output, info.get("dataset", "DATASET"))
