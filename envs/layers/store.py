"""What dsfix's image layers hold and cost on disk, and removing them (`dsfix env list|prune`)."""
from __future__ import annotations

import logging

from .docker_build import dangling, remove_dangling

log = logging.getLogger(__name__)

LAYERS = ("base", "env", "instance", "project")   # project: a repository's own image (project.py)


def _layer_of(img) -> str | None:
    labels = img.labels or {}
    if labels.get("dsfix.layer") in LAYERS:
        return labels["dsfix.layer"]
    if any(t.startswith("dsfix/base:") for t in img.tags):
        return "base"
    if any(t.startswith("swebench/sweb.eval.") for t in img.tags):
        return "official"
    return None


def list_images(client) -> list[dict]:
    """dsfix's images with their layer, repo, commit and disk use (own = this layer only)."""
    imgs = client.images.list()
    by_tag = {t: i for i in imgs for t in i.tags}
    out = []
    for img in imgs:
        layer = _layer_of(img)
        if layer is None:
            continue
        labels = img.labels or {}
        size = img.attrs.get("Size", 0)
        parent = by_tag.get(labels.get("dsfix.parent", ""))
        own = size - parent.attrs.get("Size", 0) if parent is not None else size
        out.append({"tag": img.tags[0] if img.tags else img.short_id, "id": img.short_id, "layer": layer,
                    "repo": labels.get("dsfix.repo", ""), "commit": labels.get("dsfix.commit", ""),
                    "python": labels.get("dsfix.python", ""), "spec": labels.get("dsfix.spec", ""),
                    "parent": labels.get("dsfix.parent", ""), "size": size, "own": own,
                    "created": img.attrs.get("Created", "")})
    order = {"base": 0, "official": 1, "env": 2, "instance": 3, "project": 4}
    return sorted(out, key=lambda r: (order[r["layer"]], r["repo"], r["tag"]))


def disk_by_layer(client) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in list_images(client):
        d = out.setdefault(r["layer"], {"images": 0, "bytes": 0})
        d["images"] += 1
        d["bytes"] += r["own"]
    return out


def prune(client, layer: str = "instance", *, repo: str | None = None, dry_run: bool = False,
          ) -> list[dict]:
    """Remove dsfix images of ``layer`` ("instance", "env" — with their instances —, "project", or
    "all", which keeps nothing but the base images); returns what was (or would be) removed."""
    if layer not in ("instance", "env", "project", "all", "base"):
        raise ValueError(f"layer must be instance, env, project, base or all, not {layer!r}")
    wanted = {"instance": {"instance"}, "env": {"env", "instance"}, "project": {"project"},
              "all": {"env", "instance", "project"}, "base": {"base", "env", "instance", "project"}}[layer]
    rows = [r for r in list_images(client) if r["layer"] in wanted and (repo is None or r["repo"] == repo)]
    rows.sort(key=lambda r: {"instance": 0, "project": 0, "env": 1, "base": 2}[r["layer"]])
    removed = []
    for r in rows:
        if not dry_run:
            try:
                client.images.remove(r["tag"], force=False, noprune=False)
            except Exception as e:  # noqa: BLE001 - in use by a container: report, go on
                log.info(f"kept {r['tag']}: {e}")
                continue
        removed.append(r)
    if repo is None:    # build leftovers belong to no repo
        removed += ([{"tag": i.short_id.split(":")[-1], "layer": "dangling", "own": i.attrs.get("Size", 0)}
                     for i in dangling(client)] if dry_run else remove_dangling(client))
    return removed
