"""Evaluate one prediction in a container with no network, as SWE-bench's harness does.

Per instance: get the instance image (official SWE-bench image when pulling is allowed and it
can be had, else dsfix's base -> env -> instance layers), start a container through dsfix's
runtime (``envs.runtime``: ``network_mode none``, the same limits and owner labels as fix and
bench, nothing left on an interrupt), copy the model patch to ``/tmp/patch.diff`` and apply it with the official fallbacks
(``git apply --verbose``, ``git apply --verbose --reject``, ``patch --batch --fuzz=5 -p1 -i``),
then run ``eval.sh`` (reset test files, apply the test patch, run the spec's test command on the
test patch's files), parse the log between the official markers with ``parse_log`` and grade it
with ``grade``. Files in ``<log_dir>``: ``patch.diff``, ``eval.sh``, ``test_output.txt``,
``run_instance.log`` and ``report.json`` (when the run completed; an infrastructure failure gets
a report labelled ``infra_failure``, as swebench 5.x writes it).

Outcome ``status``: ``resolved`` / ``unresolved`` (tests ran), ``empty`` (no patch), ``error``
(the image could not be had or built, the engine failed, the run timed out, or -- as in the
official harness -- the patch did not apply; ``error_kind`` says which: image, python, disk, source, spec, engine, network, service, timeout, patch_apply,
interrupted).

Divergence from the harness (network): the spec's eval-time re-install runs offline
(``offline_install``); a failure there does not stop the script, as officially (no ``set -e``).
A spec's ``network: drop`` gives the container a route on which packets are dropped
(``network.drop_network``: connects time out instead of failing at once); its ``services`` are
started by the eval script before the tests (``specs.services``; one that does not come up is an
``error`` of kind ``service``). Both are recorded in report.json (``network``, ``services``).
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
import traceback
from pathlib import Path

from dsfix.common.logs import captured

from ..base import EnvError
from ..layers import (
    TESTBED,
    VENV,
    DiskSpaceError,
    LayerBuildError,
    build,
    try_official,
)
from ..layers.python import PythonUnavailable
from ..sources import SourceError, Sources
from ..runtime import Container
from ..specs import RepoSpec, directives_for, grade, log_problem, parse_log, swebench_spec
from ..specs import services as svc
from ..specs.swebench import repos as swebench_repos
from ..network import NetworkSetupError, drop_network

START, END = ">>>>> Start Test Output", ">>>>> End Test Output"
APPLY_PATCH_FAIL, APPLY_PATCH_PASS = ">>>>> Patch Apply Failed", ">>>>> Applied Patch"
GIT_APPLY_CMDS = ["git apply --verbose", "git apply --verbose --reject", "patch --batch --fuzz=5 -p1 -i"]
PATCH_PATH = "/tmp/patch.diff"
EVAL_MEMORY, EVAL_PIDS = "8g", 4096   # the largest SWE-bench suites (sympy, matplotlib) fit
HEREDOC = "EOF_114329324912"
NON_TEST_EXTS = (".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml", ".toml")
_PIP = re.compile(r"\bpip install\b")


_LIVE: dict[str, Container] = {}   # containers of evaluations in flight (by instance), for cleanup on interrupt
_LIVE_LOCK = threading.Lock()
STOP = threading.Event()             # set on interrupt: evaluations in flight start no container


def remove_live_containers() -> int:
    """Remove the containers of evaluations still running (Ctrl-C, SIGTERM); returns how many."""
    STOP.set()
    with _LIVE_LOCK:
        live = list(_LIVE.values())
        _LIVE.clear()
    for c in live:
        c.close()
    return len(live)


class InstanceLog:
    """run_instance.log, line by line (also kept in memory)."""

    def __init__(self, path: Path | None, echo=None):
        self.path, self.echo, self.lines = path, echo, []
        self._lock = threading.Lock()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")

    def __call__(self, msg: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} - {msg}"
        with self._lock:
            self.lines.append(line)
            if self.path:
                with open(self.path, "a") as f:
                    f.write(line + "\n")
        if self.echo:
            self.echo(msg)


def spec_for(instance: dict) -> RepoSpec:
    """The instance's own ``spec`` (dsfix extension) or SWE-bench's spec for repo + version."""
    if isinstance(instance.get("spec"), dict):
        return RepoSpec.model_validate({**instance["spec"], "source": instance["spec"].get("source", "dataset")})
    return swebench_spec(instance["repo"], instance["version"])


def patch_test_files(test_patch: str) -> list[str]:
    """Files the test patch touches (b/ paths), as SWE-bench's get_test_directives reads them."""
    files = re.findall(r"^diff --git a/.* b/(.*)$", test_patch or "", flags=re.M)
    return [f for f in files if not f.endswith(NON_TEST_EXTS)]


def modified_files(patch: str) -> list[str]:
    """Files the patch changes that exist before it (not created by it)."""
    out, cur = [], None
    for line in (patch or "").splitlines():
        m = re.match(r"^diff --git a/(.*) b/(.*)$", line)
        if m:
            cur = m.group(1)
            out.append(cur)
        elif line.startswith("--- /dev/null") and cur in out:
            out.remove(cur)
    return out


def offline_install(cmd: str) -> str:
    """The eval-time re-install, offline. An editable install keeps build isolation: it then
    fails harmlessly offline and the image's editable install (made like the official one) stays;
    rebuilding it with the venv's setuptools would change its kind (PEP 660 finder vs. egg-link).
    A regular install is rebuilt with the venv's own setuptools so patched sources are installed."""
    editable = re.search(r"(^|\s)(-e|--editable)(\s|$)", cmd)
    flags = "--no-index --no-deps" if editable else "--no-index --no-build-isolation --no-deps"
    return _PIP.sub(f"pip install {flags}", cmd)


def eval_script(instance: dict, spec: RepoSpec, flavor: str = "dsfix") -> str:
    base = instance["base_commit"]
    tp = instance.get("test_patch") or ""
    reset = f"git checkout {base} {' '.join(modified_files(tp))}" if modified_files(tp) else ": no test files to reset"
    directives = directives_for(instance["repo"], patch_test_files(tp)) if spec.test_files_arg else []
    activate = (["source /opt/miniconda3/bin/activate", "conda activate testbed"] if flavor == "official"
                else [f"source {VENV}/bin/activate"])
    lines = ["#!/bin/bash", "set -uxo pipefail", *activate, f"cd {TESTBED}"]
    if spec.services:   # local stand-ins (e.g. httpbin.org); exit 1 before the tests if one is not up
        lines.append(svc.start_script(spec.services).rstrip("\n"))
    lines += [f"export {k}={json.dumps(v)}" for k, v in spec.env.items()]
    lines += [offline_install(c) for c in spec.pre_test]
    lines += [f"git config --global --add safe.directory {TESTBED}", f"cd {TESTBED}", "git status", "git show",
              f"git -c core.fileMode=false diff {base}", *activate, reset]
    if tp.strip():
        lines.append(f"git apply -v - <<'{HEREDOC}'\n{tp.rstrip(chr(10))}\n{HEREDOC}")
    lines += [f": '{START}'", " ".join([spec.test_cmd, *directives]), f": '{END}'", reset]
    return "\n".join(lines) + "\n"


def test_section(output: str) -> str | None:
    if START not in output or END not in output:
        return None
    return output.split(START, 1)[1].split(END, 1)[0]


def _exec(container: Container, cmd: str, timeout: int) -> tuple[int, str, bool, float]:
    return container.exec(cmd, timeout, TESTBED)


def _start(client, image: str, iid: str, repo: str) -> Container:
    """The evaluation's container: dsfix's runtime (limits, owner labels, nothing left on an
    interrupt), no network. Registered before it is created, so an interrupt handled on another
    thread removes it even while the engine is still creating it."""
    # cpu_shares: tools that count CPUs from cgroup v1 shares (pylint: shares / 1024) see this
    # host's cores, as they would on a cgroup v2 host, instead of one.
    box = Container(client, image, network=False, memory=EVAL_MEMORY, pids=EVAL_PIDS, workdir=TESTBED,
                    labels={"dsfix.eval": iid, "dsfix.repo": repo}, prefix="dsfix-eval",
                    cpu_shares=1024 * (os.cpu_count() or 1))
    with _LIVE_LOCK:
        _LIVE[iid] = box
    return box.start()


def _result(instance_id: str, status: str, **kw) -> dict:
    return {"instance_id": instance_id, "status": status, "resolved": status == "resolved", "empty_patch": False,
            "error": None, "error_kind": None, "report": None, "image": None, "flavor": None,
            "built": [], "seconds": {}, **kw}


class _Ended(Exception):
    """An evaluation that ends before a grade: ``error`` and ``kind`` go into its result."""

    def __init__(self, error: str, kind: str):
        super().__init__(error)
        self.error, self.kind = error, kind


def evaluate_instance(instance: dict, patch: str | None, *, client=None, sources: Sources | None = None,
                      log_dir: Path | None = None, model_name: str = "dsfix", timeout: int = 1800,
                      pull: bool = False, python_fallback: bool = False, run_empty: bool = False,
                      min_free: float | None = None, echo=None) -> dict:
    """Grade ``patch`` on ``instance`` (a SWE-bench row) in a fresh no-network container.

    Returns a dict: ``status`` (resolved/unresolved/empty/error), ``resolved``, ``error`` and
    ``error_kind`` (image/source/engine/timeout/patch_apply), ``report`` (the official report.json
    content), ``tests_status``, ``image``, ``flavor``, ``built`` (layers built now), ``seconds``.
    """
    iid = instance["instance_id"]
    log_dir = Path(log_dir) if log_dir else None
    log = InstanceLog(log_dir / "run_instance.log" if log_dir else None, echo)
    if log_dir:
        (log_dir / "patch.diff").write_text(patch or "")
    if not (patch or "").strip() and not run_empty:
        log("empty patch: not evaluated")
        return _result(iid, "empty")
    try:
        spec = spec_for(instance)
    except (KeyError, ValueError) as e:
        log(f"no spec: {e}")
        return _result(iid, "error", error=f"no spec: {e}", error_kind="spec")
    from ..docker_env import docker_client
    res = _result(iid, "error", empty_patch=not (patch or "").strip())
    t_all, container = time.monotonic(), None
    # the layers' and the network's messages of this evaluation (its thread) go to its log too
    with captured(log):
        try:
            client = _client_for(client or docker_client(timeout=timeout + 120), timeout)
            image, flavor = _image(client, instance, spec, res, log, sources=sources, pull=pull,
                                   python_fallback=python_fallback, min_free=min_free)
            _stop_point()
            t0 = time.monotonic()
            container = _start(client, image, iid, instance["repo"])
            _stop_point()   # interrupted while the engine created it: removed below, nothing graded
            log(f"container {container.name} started (network none)")
            if spec.network == "drop":
                drop_network(client, container.handle, image)
            _apply(container, patch, log)
            output = _run_tests(container, instance, spec, flavor, timeout, res, log, log_dir, t0)
            return _grade(instance, spec, patch, output, res, log, log_dir)
        except _Ended as e:
            res.update(error=e.error, error_kind=e.kind)
            return res
        except Exception as e:  # noqa: BLE001 - its kind decides: a source, an image, the engine
            return _failed(e, res, log)
        finally:
            res["seconds"]["total"] = round(time.monotonic() - t_all, 3)
            with _LIVE_LOCK:
                _LIVE.pop(iid, None)
            if container is not None:
                container.close()


def _client_for(client, timeout: int):
    # a quiet test run must not hit the HTTP read timeout of a shared client (raising it is harmless)
    if isinstance(getattr(client.api, "timeout", None), (int, float)) and client.api.timeout < timeout + 120:
        client.api.timeout = timeout + 120
    return client


def _stop_point() -> None:
    if STOP.is_set():
        raise _Ended("interrupted", "interrupted")


def _image(client, instance: dict, spec: RepoSpec, res: dict, log, *, sources, pull: bool,
           python_fallback: bool, min_free) -> tuple[str, str]:
    """The image to grade in: the official one (``pull``), else dsfix's layers (built if need be)."""
    t0 = time.monotonic()
    image, flavor = None, "dsfix"
    if pull and instance["repo"] in swebench_repos() and "spec" not in instance:
        image = try_official(client, instance["instance_id"])
        flavor = "official" if image else flavor
    if image is None:
        b = build(client, instance["repo"], spec, instance["environment_setup_commit"],
                  instance["base_commit"], sources=sources, python_fallback=python_fallback, min_free=min_free)
        image, res["built"], res["python"] = b.tag, b.built, b.python
        res["seconds"].update({f"build_{k}": v for k, v in b.seconds.items()})
    res.update(image=image, flavor=flavor)
    res["seconds"]["image"] = round(time.monotonic() - t0, 3)
    log(f"image {image} ({flavor}; built: {', '.join(res['built']) or 'nothing, all cached'})")
    return image, flavor


def _apply(container: Container, patch: str | None, log) -> None:
    """The patch into the working copy, as the harness tries it: each command in turn."""
    if not (patch or "").strip():
        return
    container.put_file(PATCH_PATH, patch if patch.endswith("\n") else patch + "\n")
    out = ""
    for cmd in GIT_APPLY_CMDS:
        code, out, _, _ = _exec(container, f"{cmd} {PATCH_PATH}", 300)
        if code == 0:
            log(f"{APPLY_PATCH_PASS} ({cmd}):\n{out}")
            return
        log(f"Failed to apply patch to container: {cmd}")
    log(f"{APPLY_PATCH_FAIL}:\n{out}")
    raise _Ended("patch did not apply (git apply, git apply --reject, patch --fuzz=5)", "patch_apply")


def _run_tests(container: Container, instance: dict, spec: RepoSpec, flavor: str, timeout: int, res: dict,
               log, log_dir: Path | None, t0: float) -> str:
    """The eval script's output; _Ended when it timed out, the container died or a service failed."""
    code, out, _, _ = _exec(container, f"git -c core.fileMode=false diff {instance['base_commit']}", 300)
    log(f"Git diff before:\n{out}")
    script = eval_script(instance, spec, flavor)
    if log_dir:
        (log_dir / "eval.sh").write_text(script)
    container.put_file("/eval.sh", script)
    code, output, timed_out, dt = _exec(container, "/bin/bash /eval.sh", timeout)
    res["seconds"]["tests"] = round(dt, 3)
    res["seconds"]["run"] = round(time.monotonic() - t0, 3)
    if log_dir:
        (log_dir / "test_output.txt").write_text(output)
    _stop_point()   # Ctrl-C / SIGTERM removed the container under the tests: nothing to grade
    if timed_out:
        log(f"Test timed out after {timeout} seconds.")
        raise _Ended(f"tests timed out after {timeout}s", "timeout")
    if _died(container, code):
        raise _Ended("container died during the test run", "engine")
    log(f"Test runtime: {dt:.2f} seconds; exit code {code}")
    failed = [line for line in output.splitlines() if line.startswith(svc.FAILED)]
    if failed and test_section(output) is None:
        log(f"service did not come up: {failed[0]}\n{output[-3000:]}")
        raise _Ended(f"{failed[0]} (see test_output.txt)", "service")
    return output


def _grade(instance: dict, spec: RepoSpec, patch: str | None, output: str, res: dict, log,
           log_dir: Path | None) -> dict:
    """Grade as officially: the log between the markers, parsed, against FAIL_TO_PASS and PASS_TO_PASS."""
    report = {"patch_is_None": patch is None, "patch_exists": bool((patch or "").strip()),
              "patch_successfully_applied": False, "resolved": False, "infra_failure": False}
    if spec.network != "none" or spec.services:   # dsfix's divergences from the harness, on record
        report.update(network=spec.network, services=list(spec.services))
        res.update(network=spec.network, services=list(spec.services))
    section = test_section(output)
    statuses: dict[str, str] = {}
    if section is not None:
        report["patch_successfully_applied"] = True
        statuses = parse_log(spec.parser, section)
        g = grade(statuses, instance["FAIL_TO_PASS"], instance["PASS_TO_PASS"])
        problem = log_problem(spec.parser, section)
        report["resolved"] = g.resolved and not problem   # printed results resolve nothing
        report["tests_status"] = g.report()
        if problem:
            log(f"test log not trusted: {problem}")
            report["ambiguous_reason"] = problem
            res.update(ambiguous=True, error=problem, error_kind="log")
    else:
        log("test output markers not found: tests did not run")
    if log_dir:
        (log_dir / "report.json").write_text(json.dumps({instance["instance_id"]: report}, indent=4))
    res.update(status="resolved" if report["resolved"] else "unresolved", report=report, resolved=report["resolved"],
               tests_status=report.get("tests_status"), parsed=len(statuses))
    log(f"report: resolved={report['resolved']}")
    return res


def _failed(e: Exception, res: dict, log) -> dict:
    """An exception that ended the evaluation: its kind, never "unresolved"."""
    if isinstance(e, (LayerBuildError, SourceError, EnvError)):
        kind = ("source" if isinstance(e, SourceError) else "python" if isinstance(e, PythonUnavailable)
                else "network" if isinstance(e, NetworkSetupError)
                else "disk" if isinstance(e, DiskSpaceError) else "image")
        log(f"{kind} error: {e}")
        res.update(error=str(e)[:4000], error_kind=kind)
    elif STOP.is_set():   # the container was removed under us on Ctrl-C / SIGTERM
        log(f"interrupted ({type(e).__name__}: {e})")
        res.update(error="interrupted", error_kind="interrupted")
    else:   # the engine failed us
        log(f"engine error: {type(e).__name__}: {e}\n{traceback.format_exc()}")
        res.update(error=f"{type(e).__name__}: {e}"[:4000], error_kind="engine")
    return res


def _died(container, code: int) -> bool:
    """Did the container die under the tests? A killed one ends its exec (137) a moment before the
    engine marks it exited, so a killed-looking exit waits up to 2 s for the state to settle: read
    once, that race graded a killed run as unresolved."""
    if not container.alive():
        return True
    if code not in (137, -1):
        return False
    for _ in range(10):
        time.sleep(0.2)
        if not container.alive():
            return True
    return False
