"""dsfix.envs.evaluate: grade predictions as SWE-bench does, in containers with no network.

``evaluate_instance(instance, patch, ...)`` grades one patch (reusable as the agent's verifier);
``run_evaluation(dataset, predictions, ...)`` is ``dsfix eval`` (pool, official log layout and
summary); ``load_dataset`` / ``load_predictions`` read inputs; ``eval_cli`` (in ``.cli``) is the
typer command.
"""
from .dataset import DatasetError, load_dataset, load_predictions
from .harness import make_summary, print_table, run_evaluation
from .run import eval_script, evaluate_instance, spec_for, patch_test_files

__all__ = ["evaluate_instance", "run_evaluation", "load_dataset", "load_predictions", "DatasetError",
           "make_summary", "print_table", "eval_script", "spec_for", "patch_test_files"]
