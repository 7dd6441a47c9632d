"""Where the local model's weights come from: a path, or a Hugging Face repo downloaded once into
huggingface_hub's standard cache (resumable, with a progress bar; offline the cache answers).

Model references (what follows `local/` in `--model local/...`, or `dsfix serve --model`):
  (empty)                                  the default: DeepSeek-Coder-V2-Lite-Instruct, Q4_K_M GGUF
  deepseek-coder-v2-lite-base[:Q8_0]       a known alias, optionally with a quantization
  ./path/model.gguf  /abs/dir              a file or a directory on disk
  owner/repo/file.gguf                     a file in a Hugging Face repo
  owner/repo[:Q5_K_M]                      a GGUF repo: the file of that quantization (default Q4_K_M);
                                           for the transformers engine: the whole checkpoint
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from .deepseek import ALIASES, CHECKPOINTS, DEFAULT_ALIAS, DEFAULT_QUANT


class LocalBackendError(RuntimeError):
    """The local model could not be resolved, started or reached: one clear line for the user."""


@dataclass
class WeightRef:
    path: Path | None = None          # on disk already
    repo_id: str | None = None
    filename: str | None = None       # None with a repo: a quantization to find, or a whole checkpoint
    quant: str = DEFAULT_QUANT
    revision: str | None = None

    @property
    def label(self) -> str:
        if self.path is not None:
            return str(self.path)
        return f"{self.repo_id}/{self.filename}" if self.filename else f"{self.repo_id}:{self.quant}"


def parse_ref(ref: str | None, engine: str = "llama.cpp") -> WeightRef:
    """What `ref` names; for vllm/transformers an alias means the original (safetensors) checkpoint."""
    ref = (ref or "").strip()
    if ref in ("", "local", "default"):
        ref = DEFAULT_ALIAS
    quant = DEFAULT_QUANT
    base = ref
    if ":" in ref and not os.path.exists(ref):
        base, quant = ref.rsplit(":", 1)
    if base.lower() in ALIASES and engine != "llama.cpp":
        return WeightRef(repo_id=CHECKPOINTS[base.lower()])
    if base.lower() in ALIASES:
        repo, pattern = ALIASES[base.lower()]
        return WeightRef(repo_id=repo, filename=pattern.format(quant=quant), quant=quant)
    p = Path(base).expanduser()
    if p.exists() or base.startswith((".", "/", "~")) or base.endswith(".gguf") and base.count("/") < 2:
        return WeightRef(path=p.resolve() if p.exists() else p)
    parts = base.split("/")
    if len(parts) == 2:
        return WeightRef(repo_id=base, quant=quant)
    if len(parts) >= 3:
        return WeightRef(repo_id="/".join(parts[:2]), filename="/".join(parts[2:]), quant=quant)
    raise LocalBackendError(f"unknown local model '{ref}': give a path, an alias "
                            f"({', '.join(ALIASES)}), or a Hugging Face repo id (owner/repo[/file.gguf])")


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def _cache_dir() -> str | None:
    return os.environ.get("HF_HUB_CACHE") or None


def _find_quant_file(ref: WeightRef) -> str:
    """The GGUF file of ref.quant in ref.repo_id: from the cache first, else the repo's file list."""
    pattern = f"*{ref.quant}*.gguf"
    names: list[str] = []
    try:
        from huggingface_hub import scan_cache_dir
        for repo in scan_cache_dir(_cache_dir()).repos:
            if repo.repo_id == ref.repo_id and repo.repo_type == "model":
                for rev in repo.revisions:
                    names += [str(f.file_path.relative_to(rev.snapshot_path)) for f in rev.files]
    except Exception:  # noqa: BLE001 - no cache yet
        pass
    if not any(fnmatch.fnmatch(n.lower(), pattern.lower()) for n in names) and not _offline():
        from huggingface_hub import list_repo_files
        try:
            names = list_repo_files(ref.repo_id, revision=ref.revision)
        except Exception as e:  # noqa: BLE001
            raise LocalBackendError(f"cannot list files of {ref.repo_id}: {type(e).__name__}: {str(e)[:200]}") from e
    hits = sorted(n for n in names if fnmatch.fnmatch(n.lower(), pattern.lower()))
    if not hits:
        where = "in the cache (offline)" if _offline() else "in the repo"
        raise LocalBackendError(f"no {ref.quant} GGUF file found for {ref.repo_id} {where}; "
                                f"name the file: local/{ref.repo_id}/FILE.gguf")
    return hits[0]  # split files (-00001-of-0000N) sort first; llama.cpp loads the rest beside it


def _tqdm_class():
    """A tqdm class for huggingface_hub that draws a rich progress bar (size, speed, time left)."""
    from huggingface_hub.utils import tqdm as hub_tqdm

    class RichTqdm(hub_tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True          # tqdm keeps n/total and prints nothing; rich draws
            super().__init__(*args, **kwargs)
            from rich.console import Console
            from rich.errors import LiveError
            from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                                       TransferSpeedColumn)
            desc, total = str(kwargs.get("desc") or "downloading")[-60:], kwargs.get("total")
            console = Console(stderr=True)
            self._p = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                               TransferSpeedColumn(), TimeRemainingColumn(), console=console)
            try:
                self._p.start()
            except LiveError:   # another live display (dsfix fix's spinner) owns the terminal: one line
                self._p = None
                size = human(total) if total else "unknown size"
                console.print(f"downloading {desc} ({size}, resumable)", highlight=False)
                return
            self._task = self._p.add_task(desc, total=total, completed=kwargs.get("initial") or 0)

        def update(self, n=1):
            self.n += n or 0
            if self._p is not None:
                self._p.update(self._task, completed=self.n)

        def close(self):
            if getattr(self, "_p", None) is not None:
                self._p.stop()
                self._p = None

    return RichTqdm


def download(repo_id: str, filename: str, revision: str | None = None, progress: bool = True) -> Path:
    """The file in huggingface_hub's standard cache: downloaded once, resumed after an interruption.

    A cached file (or HF_HUB_OFFLINE) is answered by hf_hub_download from the cache. Otherwise the
    bytes go to `blobs/<etag>.dsfix-partial`, which survives Ctrl-C and a lost connection, and the
    next try asks only for the rest (an HTTP Range request); the finished blob is laid out as
    huggingface_hub lays it out (blobs/, snapshots/<commit>/, refs/) and found again by hf_hub_download.
    (huggingface_hub's own download deletes its partial file when interrupted.)
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError
    try:
        return Path(hf_hub_download(repo_id, filename, revision=revision, cache_dir=_cache_dir(),
                                    local_files_only=True))
    except LocalEntryNotFoundError as e:
        if _offline():
            raise LocalBackendError(f"{repo_id}/{filename} is not in the Hugging Face cache and HF_HUB_OFFLINE "
                                    f"is set; run `dsfix model pull {repo_id}/{filename}` where the Hub is "
                                    f"reachable, or give a path with --model local/PATH") from e
    try:
        _resumable_download(repo_id, filename, revision, progress)
        return Path(hf_hub_download(repo_id, filename, revision=revision, cache_dir=_cache_dir(),
                                    local_files_only=True))
    except LocalEntryNotFoundError as e:
        raise LocalBackendError(f"{repo_id}/{filename} is not in the Hugging Face cache and the Hub cannot be "
                                f"reached; run `dsfix model pull {repo_id}/{filename}` where it is, or give a "
                                f"path with --model local/PATH") from e
    except (EntryNotFoundError, RepositoryNotFoundError) as e:
        raise LocalBackendError(f"{repo_id}/{filename} not found on the Hugging Face Hub") from e
    except OSError as e:
        raise LocalBackendError(f"cannot download {repo_id}/{filename}: {str(e)[:300]}") from e


def _resumable_download(repo_id: str, filename: str, revision: str | None, progress: bool) -> None:
    import huggingface_hub.constants as C
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import LocalEntryNotFoundError
    from huggingface_hub.file_download import http_get, repo_folder_name
    from huggingface_hub.utils import build_hf_headers
    rev = revision or "main"
    try:
        meta = get_hf_file_metadata(hf_hub_url(repo_id, filename, revision=rev))
    except (OSError, ValueError) as e:
        if type(e).__name__ in ("EntryNotFoundError", "RepositoryNotFoundError", "RemoteEntryNotFoundError",
                                "GatedRepoError", "RevisionNotFoundError"):
            raise
        raise LocalEntryNotFoundError(str(e)) from e
    if not meta.commit_hash or not meta.etag:
        raise LocalEntryNotFoundError(f"the Hub gave no commit or etag for {repo_id}/{filename}")
    storage = Path(_cache_dir() or C.HF_HUB_CACHE) / repo_folder_name(repo_id=repo_id, repo_type="model")
    blob = storage / "blobs" / meta.etag
    pointer = storage / "snapshots" / meta.commit_hash / filename
    if not blob.exists():
        blob.parent.mkdir(parents=True, exist_ok=True)
        partial = blob.with_name(blob.name + ".dsfix-partial")
        have = partial.stat().st_size if partial.exists() else 0
        if meta.size is not None and have > meta.size:
            partial.unlink()
            have = 0
        with open(partial, "ab") as f:
            http_get(meta.location, f, resume_size=have, headers=build_hf_headers(),
                     expected_size=meta.size, displayed_filename=filename,
                     tqdm_class=_tqdm_class() if progress else None)
        if meta.size is not None and partial.stat().st_size != meta.size:
            raise OSError(f"downloaded {partial.stat().st_size} bytes of {meta.size}; run it again to resume")
        partial.replace(blob)
    pointer.parent.mkdir(parents=True, exist_ok=True)
    if not pointer.exists():
        if pointer.is_symlink():
            pointer.unlink()
        pointer.symlink_to(os.path.relpath(blob, pointer.parent))
    if rev != meta.commit_hash:
        (storage / "refs").mkdir(parents=True, exist_ok=True)
        (storage / "refs" / rev).write_text(meta.commit_hash)


def resolve(ref: WeightRef | str | None, engine: str = "llama.cpp", progress: bool = True) -> Path:
    """The local path of the weights: a GGUF file (llama.cpp) or a checkpoint directory (transformers, vLLM)."""
    if not isinstance(ref, WeightRef):
        ref = parse_ref(ref, engine)
    if ref.path is not None:
        if not ref.path.exists():
            raise LocalBackendError(f"model file not found: {ref.path}")
        if ref.path.is_dir() and engine == "llama.cpp":
            ggufs = sorted(ref.path.glob("*.gguf"))
            if not ggufs:
                raise LocalBackendError(f"no .gguf file in {ref.path} (llama.cpp needs a GGUF file)")
            return ggufs[0]
        return ref.path
    if engine != "llama.cpp" and not ref.filename:
        return snapshot(ref.repo_id, ref.revision, progress)
    filename = ref.filename or _find_quant_file(ref)
    return download(ref.repo_id, filename, ref.revision, progress)


def snapshot(repo_id: str, revision: str | None = None, progress: bool = True) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError
    try:
        return Path(snapshot_download(repo_id, revision=revision, cache_dir=_cache_dir(),
                                      allow_patterns=["*.json", "*.safetensors", "*.py", "*.model", "*.txt"],
                                      tqdm_class=_tqdm_class() if progress else None))
    except LocalEntryNotFoundError as e:
        raise LocalBackendError(f"{repo_id} is not in the Hugging Face cache and the Hub cannot be reached") from e


# ---- dsfix model pull | list | rm --------------------------------------------------------------

@dataclass
class CachedModel:
    repo_id: str
    filename: str
    size: int
    path: Path
    revision: str


def cached_models() -> list[CachedModel]:
    """Every model file in the Hugging Face cache (GGUF files and checkpoints, one row a file)."""
    from huggingface_hub import CacheNotFound, scan_cache_dir
    try:
        info = scan_cache_dir(_cache_dir())
    except CacheNotFound:
        return []
    rows = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        for rev in repo.revisions:
            for f in rev.files:
                rows.append(CachedModel(repo.repo_id, str(f.file_path.relative_to(rev.snapshot_path)),
                                        f.size_on_disk, f.file_path, rev.commit_hash))
    return sorted(rows, key=lambda r: (r.repo_id, r.filename))


def remove(ref: str) -> int:
    """Delete a cached repo (`owner/repo`) or one of its files (`owner/repo/file`): returns bytes freed."""
    from huggingface_hub import CacheNotFound, scan_cache_dir
    try:
        info = scan_cache_dir(_cache_dir())
    except CacheNotFound:
        info = None
    parts = ref.split("/")
    repo_id, filename = "/".join(parts[:2]), "/".join(parts[2:]) or None
    repo = next((r for r in (info.repos if info else []) if r.repo_id == repo_id and r.repo_type == "model"), None)
    if repo is None:
        raise LocalBackendError(f"{repo_id} is not in the Hugging Face cache")
    if filename is None:
        # scoped to this repo: delete_revisions matches commit hashes across the whole cache
        import dataclasses
        only = dataclasses.replace(info, repos=frozenset({repo}))
        strategy = only.delete_revisions(*(r.commit_hash for r in repo.revisions))
        freed = strategy.expected_freed_size
        strategy.execute()
        return freed
    freed, found = 0, False
    for rev in repo.revisions:
        target = rev.snapshot_path / filename
        if target.is_symlink() or target.exists():
            found = True
            blob = target.resolve()
            target.unlink()
            still_used = any(p.is_symlink() and p.resolve() == blob for p in repo.repo_path.glob("snapshots/*/**/*"))
            if blob.exists() and not still_used:
                freed += blob.stat().st_size
                blob.unlink()
    if not found:
        raise LocalBackendError(f"{filename} is not in the cached {repo_id}")
    return freed


def human(n: int | float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
