"""Running ``docker build`` for one image, one build per tag at a time (also across processes),
and removing what a failed build leaves behind."""
from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import re
from typing import Callable

from ..base import EnvError
from ..images import cache_dir

log = logging.getLogger(__name__)

# Put at the top of every generated Dockerfile: the intermediate images of a failed build carry it,
# so they can be found and removed (`prune`, `build_image`'s cleanup).
BUILD_LABEL = "dsfix.build=1"


class LayerBuildError(EnvError):
    """An image layer could not be built (the log tail is in the message)."""


@contextlib.contextmanager
def build_lock(name: str):
    """Held while ``name`` is checked for and built, so concurrent runs build it once."""
    d = cache_dir() / "locks"
    d.mkdir(parents=True, exist_ok=True)
    with open(d / (name.replace("/", "_").replace(":", "_") + ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def image_exists(client, tag: str) -> bool:
    import docker.errors
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _in_flight_file():
    d = cache_dir() / "locks"
    d.mkdir(parents=True, exist_ok=True)
    return open(d / "builds-in-flight.lock", "w")


@contextlib.contextmanager
def build_in_flight():
    """Held (shared) while a build runs: its step images are untagged and childless until it ends,
    so they look exactly like a failed build's leftovers to a sweep of dangling images."""
    with _in_flight_file() as f:
        fcntl.flock(f, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def no_build_in_flight():
    """Yields whether no build of this host is running; while it is held, none starts."""
    with _in_flight_file() as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build_image(client, tag: str, labels: dict, network: str, *, path: str | None = None,
                dockerfile: str | None = None, timeout: int = 3600,
                on_line: Callable[[str], None] | None = None) -> None:
    """Build ``tag`` from a context folder (``path``) or a lone Dockerfile; LayerBuildError (with
    the log's tail) when it fails, after removing the step images it made. Each line of the build's
    output goes to ``on_line`` (default: a debug message)."""
    kwargs = dict(tag=tag, labels=labels, network_mode=network, rm=True, forcerm=True, pull=False,
                  timeout=timeout)
    lines: list[str] = []
    with build_in_flight():
        try:
            _stream_build(client, tag, kwargs, lines, on_line or log.debug, path, dockerfile)
        except LayerBuildError:
            remove_dangling(client, _step_ids(lines))
            raise
    if not image_exists(client, tag):
        raise LayerBuildError(f"building {tag} produced no image\n" + "".join(lines)[-3000:])


def _stream_build(client, tag, kwargs, lines, on_line, path, dockerfile) -> None:
    import docker.errors
    try:
        if path:
            stream = client.api.build(path=path, decode=True, **kwargs)
        else:
            stream = client.api.build(fileobj=io.BytesIO(dockerfile.encode()), decode=True, **kwargs)
        for chunk in stream:
            if "stream" in chunk:
                text = chunk["stream"]
                lines.append(text)
                on_line(text.rstrip("\n")) if text.strip() else None
            if "error" in chunk:
                lines.append(chunk["error"])
                raise LayerBuildError(f"building {tag} failed: {chunk['error'].strip()}\n"
                                      + "".join(lines)[-3000:])
    except docker.errors.DockerException as e:
        raise LayerBuildError(f"building {tag} failed: {e}\n" + "".join(lines)[-3000:]) from e


def _step_ids(lines: list[str]) -> set[str]:
    """The images a (classic) build made for its steps, from its " ---> <id>" lines."""
    return set(re.findall(r"^ ---> ([0-9a-f]{12})\s*$", "".join(lines), flags=re.MULTILINE))


def dangling(client) -> list:
    """Untagged, childless images left by dsfix's builds (they carry BUILD_LABEL)."""
    return client.images.list(filters={"dangling": True, "label": BUILD_LABEL})


def remove_dangling(client, only: set[str] | None = None) -> list[dict]:
    """Remove dangling build leftovers (``only``: just these short ids, a failed build's own);
    returns what was removed. A sweep of all of them is skipped while another build of this host
    runs: `dsfix env prune` used to delete a running build's step images and break it."""
    if only is None:
        with no_build_in_flight() as free:
            if not free:
                log.info("kept dangling build images: a dsfix image build is running on this host")
                return []
            return _remove_dangling(client, None)
    return _remove_dangling(client, only)


def _remove_dangling(client, only: set[str] | None) -> list[dict]:
    removed = []
    for img in dangling(client):
        short = img.id.split(":")[-1][:12]
        if only is not None and short not in only:
            continue
        parent = img.attrs.get("Parent") or ""
        size = img.attrs.get("Size", 0)
        try:
            own = size - client.images.get(parent).attrs.get("Size", 0) if parent else size
        except Exception:  # noqa: BLE001 - parent gone: count it all
            own = size
        try:
            client.images.remove(img.id, force=False, noprune=False)   # also its untagged parents
        except Exception as e:  # noqa: BLE001 - in use (a build running from it): leave it
            log.info(f"kept dangling {short}: {e}")
            continue
        removed.append({"tag": short, "id": short, "layer": "dangling", "repo": "", "own": max(own, 0), "size": size})
    return removed
