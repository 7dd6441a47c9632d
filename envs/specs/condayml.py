"""Install a conda ``environment.yml`` with pip: dsfix's images have no conda.

Run inside the image, by the venv's python, on the checkout's file:

    python condayml.py [PINNED_REQUIREMENT ...] ci/requirements/environment.yml

It reads ``dependencies`` (conda match specs) and their ``pip:`` list, drops ``python``/``pip`` and
packages conda has but PyPI does not (``CONDA_ONLY``), renames those PyPI knows by another name
(``CONDA_TO_PYPI``), turns conda versions into pip ones (``numpy=1.17`` -> ``numpy==1.17.*``; a
build string is dropped), then installs them all in one pip call; when that fails, one by one, and
every package that cannot be installed is LOGGED (``dsfix-condayml: FAILED ...``), not hidden.
The spec's pinned pip packages, given before the file, are pip constraints here (so unpinned
packages get versions that work with them) and are installed after this script, so they win.
Exit status 0 either way. A stamp in the venv makes a second run on the same file a no-op.

Standard library only, and Python 3.6 syntax: this file's text is shipped into images whose
interpreter may be old (``swebench._packages`` embeds it in the install script).
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

# conda packages with no PyPI counterpart (C libraries, conda metapackages, conda-only builds)
CONDA_ONLY = {
    "python", "pip", "hdf5", "libnetcdf", "netcdf-c", "nomkl", "mkl", "mkl-service", "blas", "openblas",
    "libblas", "libcblas", "liblapack", "cdms2", "pynio", "eccodes", "gdal", "libgdal", "proj", "geos",
    "gcc", "gxx", "compilers", "make", "cmake", "pkg-config", "ffmpeg", "graphviz", "git", "nodejs",
    "cudatoolkit", "_libgcc_mutex", "libgfortran", "tk", "qt", "icu", "sqlite", "zlib", "xz", "bzip2",
    "openssl", "ncurses", "readline", "libffi", "libiconv", "libxml2", "libxslt", "cairo", "pango",
}
# conda name -> PyPI name, where they differ
CONDA_TO_PYPI = {
    "matplotlib-base": "matplotlib", "pytables": "tables", "iris": "scitools-iris", "pytorch": "torch",
    "msgpack-python": "msgpack", "pyqt": "PyQt5", "python-graphviz": "graphviz", "py-xgboost": "xgboost",
    "libtiff": "pylibtiff", "pyyaml": "PyYAML", "ruamel_yaml": "ruamel.yaml",
}
OPS = ("==", ">=", "<=", "!=", "~=", ">", "<")


def parse(text):
    """(conda match specs, pip requirements) of an environment.yml's ``dependencies``.

    A small reader for the shape these files have (lists of scalars, one nested ``pip:`` list);
    anything else is ignored rather than guessed at.
    """
    conda, pip = [], []
    section, pip_indent = None, None
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        item = line.strip()
        if indent == 0:
            section = item[:-1] if item.endswith(":") else None
            pip_indent = None
            continue
        if section != "dependencies" or not item.startswith("- "):
            continue
        value = _unquote(item[2:].strip())
        if pip_indent is not None and indent > pip_indent:
            pip.append(value)
            continue
        pip_indent = None
        if value.rstrip(":").strip() == "pip" and value.endswith(":"):
            pip_indent = indent
        elif value:
            conda.append(value)
    return conda, pip


def _unquote(s):
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"" else s


def to_pip(spec):
    """A conda match spec as a pip requirement, or None when PyPI has no such package."""
    spec = spec.split("::", 1)[-1].strip()                        # conda-forge::numpy
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    if not m:
        return None
    name, version = m.group(1).lower(), m.group(2).replace(" ", "")
    if name in CONDA_ONLY:
        return None
    name = CONDA_TO_PYPI.get(name, name)
    if not version or "|" in version:
        return name                                               # alternatives: let pip choose
    if version.startswith("=="):
        return name + "==" + version[2:].split("=", 1)[0]         # ==1.2=build -> ==1.2
    if version.startswith(OPS):
        return name + version
    version = version.lstrip("=").split("=", 1)[0]                # =1.2=build -> 1.2
    return "%s==%s" % (name, version if version.endswith("*") else version + ".*")  # "=1.17" is 1.17.*


def requirements(text):
    """(pip requirements in file order, conda specs dropped as conda-only)."""
    conda, pip = parse(text)
    reqs, dropped = [], []
    for spec in conda:
        req = to_pip(spec)
        (reqs if req else dropped).append(req or spec)
    return reqs + [p for p in pip if p], dropped


def pip_install(args, constraints):
    cmd = [sys.executable, "-m", "pip", "install", "--prefer-binary"]
    return subprocess.call(cmd + sum((["-c", c] for c in constraints), []) + args)


def as_constraint(pin):
    """A pinned requirement as a pip constraint (no extras, a version), or None."""
    m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*((==|>=|<=|~=|!=|<|>).+)$", pin.strip())
    return m.group(1) + m.group(3) if m else None


def main(argv):
    """argv: the spec's pinned packages, then environment.yml. The pins steer pip's choices here
    (as constraints); they are installed after this script, so they win."""
    text = open(argv[-1]).read()
    pins = [c for c in (as_constraint(p) for p in argv[1:-1]) if c]
    # the env layer installs; the instance layer runs the same install script again: skip
    # when this venv already had this file installed (with these pins)
    key = hashlib.sha256("\n".join([text] + pins).encode()).hexdigest()[:12]
    stamp = os.path.join(os.environ.get("DSFIX_CONDAYML_STAMP_DIR", sys.prefix), ".dsfix-condayml-" + key)
    if os.path.exists(stamp):
        print("dsfix-condayml: %s already installed here; nothing to do" % argv[-1], flush=True)
        return 0
    reqs, dropped = requirements(text)
    for spec in dropped:
        print("dsfix-condayml: skipped %s (conda-only, no PyPI package)" % spec, flush=True)
    constraints = [os.environ["PIP_CONSTRAINT"]] if os.environ.get("PIP_CONSTRAINT") else []
    if pins:
        fd, path = tempfile.mkstemp(suffix=".txt", prefix="dsfix-pins-")
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(pins) + "\n")
        constraints.append(path)
        print("dsfix-condayml: constrained by the spec's pins: %s" % " ".join(pins), flush=True)
    print("dsfix-condayml: installing with pip: %s" % " ".join(reqs), flush=True)
    failed = []
    if reqs and pip_install(reqs, constraints) != 0:
        failed = [r for r in reqs if pip_install([r], constraints) != 0]
        for r in failed:
            print("dsfix-condayml: FAILED to install %s with pip; going on without it" % r, flush=True)
    print("dsfix-condayml: %d of %d installed" % (len(reqs) - len(failed), len(reqs)), flush=True)
    open(stamp, "w").write("\n".join(failed) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
