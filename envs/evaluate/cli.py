"""``dsfix eval``: a typer command function (``eval_cli``) to register on the main app."""
from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer


def eval_cli(
    dataset: str = typer.Option(..., "--dataset", help="Local JSON/JSONL file, or a Hugging Face dataset name (needs `datasets`)."),
    predictions: str = typer.Option(..., "--predictions", help="predictions JSONL/JSON, or 'gold' / 'empty'."),
    instance_ids: Optional[List[str]] = typer.Option(None, "--instance-ids", help="Only these instances (repeat, or comma-separate)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Instances evaluated in parallel."),
    run_id: Optional[str] = typer.Option(None, "--run-id", help="Name of this run (default: a timestamp)."),
    timeout: int = typer.Option(1800, "--timeout", min=1, help="Seconds for one instance's test run."),
    mirrors: Optional[str] = typer.Option(None, "--mirrors", help="Dir of bare repos OWNER__REPO.git, or a JSON map OWNER/REPO -> git dir."),
    output: Path = typer.Option(Path("."), "--output", help="Where logs/run_evaluation/... and the summary go."),
    split: str = typer.Option("test", "--split", help="Split of a Hugging Face dataset."),
    pull: bool = typer.Option(True, "--pull/--no-pull", help="Try the official SWE-bench image first."),
    offline: bool = typer.Option(False, "--offline", help="Never reach GitHub or a registry (mirrors only; implies --no-pull)."),
    python_fallback: bool = typer.Option(False, "--python-fallback", help="Use the nearest newer Python when the spec's cannot be provisioned offline."),
    run_empty: bool = typer.Option(False, "--run-empty", help="Run the tests for empty patches too (they still count as empty_patch_ids)."),
) -> None:
    """Evaluate predictions on SWE-bench-style instances in containers with no network."""
    from rich.console import Console

    from dsfix.envs.base import EnvError
    from dsfix.envs.evaluate.dataset import DatasetError, load_dataset, load_predictions
    from dsfix.envs.evaluate.harness import print_table, run_evaluation
    from dsfix.envs.sources import Sources

    err = Console(stderr=True)
    from dsfix.common.interrupts import cleaned_up, stop_on_signals
    stop_on_signals()   # SIGTERM ends the run like Ctrl-C: containers removed
    try:
        _writable_dir(output)
        rows = load_dataset(dataset, split)
        preds = load_predictions(predictions, rows)
        ids = [i for chunk in (instance_ids or []) for i in chunk.split(",") if i.strip()] or None
        sources = Sources(mirrors, online=not offline)
        summary = run_evaluation(rows, preds, run_id=run_id or time.strftime("%Y%m%d-%H%M%S"), output=output,
                                 instance_ids=ids, workers=workers, timeout=timeout, sources=sources,
                                 pull=pull and not offline, python_fallback=python_fallback, run_empty=run_empty,
                                 console=err)
    except (DatasetError, EnvError, ValueError) as e:
        err.print(f"dsfix eval: {e}", markup=False)
        raise typer.Exit(2)
    except KeyboardInterrupt:
        cleaned_up()   # containers removed: a late Ctrl-C must not turn 130 into death by SIGINT
        err.print("dsfix eval: interrupted; containers removed", markup=False)
        raise typer.Exit(130)
    print_table(summary, Console())
    raise typer.Exit(0)


def _writable_dir(output: Path) -> None:
    """--output must be (or become) a directory, before any instance runs."""
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"cannot write the evaluation output {output}: {e.strerror or e}") from None


app = typer.Typer(add_completion=False, help="Evaluate predictions as SWE-bench does.")
app.command("eval")(eval_cli)

if __name__ == "__main__":
    app()
