"""dsfix.agent.batch: resumable batch runs over SWE-bench-style datasets (`dsfix bench`).

dataset.py loads and selects instances; store.py keeps preds.jsonl/results.jsonl valid at every
moment; worker.py runs one instance; executors.py runs workers locally or on Ray; budget.py
enforces the total cost cap; runner.py ties them together; dashboard.py shows progress.
"""
