"""dsfix.envs.layers: layered, content-hashed images (base -> environment -> instance).

``build(client, repo, spec, env_commit, base_commit, sources=...)`` makes sure the three layers
exist (building what is missing), ``list_images(client)`` / ``disk_by_layer(client)`` report them
with their disk use, ``prune(client, layer)`` removes them, ``check_disk`` is the disk guard,
``ensure_base(client, python)`` provisions a base image for a Python version offline (a Debian
release that ships it, ``python.RELEASES``, else a standalone CPython toolchain: ``provision_for``). ``env_cli`` (in ``envs/cli.py``) is the ``dsfix env list|build|prune`` sub-app.
"""
from .builder import BuildResult, build
from .disk import DiskSpaceError, check_disk
from .docker_build import LayerBuildError
from .official import official_image, try_official
from .plan import TESTBED, VENV, Plan
from .store import disk_by_layer, list_images, prune
from .python import RELEASES, PythonUnavailable, ensure_base, provision_for, release_for

__all__ = ["build", "list_images", "prune", "disk_by_layer", "check_disk", "ensure_base", "release_for",
           "official_image", "try_official", "BuildResult", "Plan", "DiskSpaceError", "LayerBuildError",
           "PythonUnavailable", "RELEASES", "provision_for", "TESTBED", "VENV"]
