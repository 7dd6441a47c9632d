"""Where instances run: a local process pool sized to the machine, or Ray (one task per instance)."""
from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor

from .worker import run_instance


def _die_with_parent() -> None:
    """Pool workers must not outlive a killed coordinator (they would hold containers)."""
    from dsfix.common.interrupts import stop_on_signals
    stop_on_signals(signal.SIGTERM)   # KeyboardInterrupt unwinds run_fix's finally: the container is removed
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: workers finish their instance, and only the coordinator writes results


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_die_with_parent)

    def submit(self, instance: dict, job: dict) -> Future:
        return self.pool.submit(run_instance, instance, job)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor:
    name = "ray"

    def __init__(self, workers: int, address: str | None):
        if address is None or address.split(":")[0] in ("127.0.0.1", "localhost"):
            # A Ray on this machine stays on loopback (Ray otherwise swaps 127.0.0.1 for the host's IP).
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError:
            raise RuntimeError("the Ray executor needs Ray: pip install 'dsfix[ray]'") from None
        self.ray = ray
        self.workers = workers
        if not ray.is_initialized():
            # A local Ray started here, or a cluster address; workers get this process's environment.
            env = {k: v for k, v in os.environ.items() if k.startswith(("DOCKER_", "DSFIX_", "LITELLM_"))}
            ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                     log_to_driver=False, runtime_env={"env_vars": env}, ignore_reinit_error=True)
        # Resource hint: one CPU per instance (the model runs elsewhere; tests and git use the CPU).
        self.task = ray.remote(num_cpus=1, max_retries=0)(run_instance)

    def submit(self, instance: dict, job: dict) -> Future:
        return self.task.remote(instance, job).future()

    def shutdown(self) -> None:
        self.ray.shutdown()


def make_executor(kind: str, workers: int, address: str | None):
    if kind == "ray":
        return RayExecutor(workers, address)
    return LocalExecutor(workers)
