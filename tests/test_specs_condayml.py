"""conda environment.yml -> pip (envs/specs/condayml.py), on environment files shaped like real ones."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from dsfix.envs.specs import condayml
from dsfix.envs.specs.swebench import CONDAYML, swebench_spec

XARRAY = """\
name: xarray-tests
channels:
  - conda-forge
  - nodefaults
dependencies:
  - aiobotocore
  - bottleneck
  - cdms2
  - hdf5
  - iris
  - lxml    # Optional dep of pydap
  - matplotlib-base
  - netcdf4
  - numpy
  - pip
  # - pynio: not compatible with netCDF4>1.5.3
  - pytest-env
  - setuptools
  - pip:
    - numbagg
"""

PINNED = """\
name: test-env
channels: [conda-forge]
dependencies:
  - python=3.8
  - numpy=1.17
  - pandas==1.0.3=py38_0
  - scipy>=1.4,<1.6
  - "conda-forge::pytables 3.6.*"
  - mkl
  - pip
  - pip:
      - "git+https://github.com/a/b.git#egg=b"
      - pytest-randomly==3.1
variables:
  - not: a dependency
"""


def test_xarray_environment_translates_with_conda_only_dropped_and_names_mapped():
    reqs, dropped = condayml.requirements(XARRAY)
    assert reqs == ["aiobotocore", "bottleneck", "scitools-iris", "lxml", "matplotlib", "netcdf4", "numpy",
                    "pytest-env", "setuptools", "numbagg"]
    assert dropped == ["cdms2", "hdf5", "pip"]


def test_conda_versions_become_pip_versions():
    reqs, dropped = condayml.requirements(PINNED)
    assert reqs == ["numpy==1.17.*", "pandas==1.0.3", "scipy>=1.4,<1.6", "tables==3.6.*",
                    "git+https://github.com/a/b.git#egg=b", "pytest-randomly==3.1"]
    assert dropped == ["python=3.8", "mkl", "pip"]


def test_no_dependencies_no_requirements():
    assert condayml.requirements("name: x\nchannels:\n  - defaults\n") == ([], [])


def test_failures_are_logged_pins_constrain_and_a_second_run_is_a_noop(tmp_path):
    # pip is pointed at an index with nothing on it: every install fails, and each failure is named
    yml = tmp_path / "environment.yml"
    yml.write_text("dependencies:\n  - hdf5\n  - dsfix-no-such-package-a\n  - dsfix-no-such-package-b=1.0\n")
    (tmp_path / "empty-index").mkdir()
    env = {"PIP_INDEX_URL": (tmp_path / "empty-index").as_uri(), "PIP_NO_INPUT": "1", "PATH": "/usr/bin:/bin",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "DSFIX_CONDAYML_STAMP_DIR": str(tmp_path)}
    cmd = [sys.executable, condayml.__file__, "numpy==1.23.0", "dask[array]==2022.8.1", "-e .", str(yml)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "skipped hdf5 (conda-only" in r.stdout
    assert "constrained by the spec's pins: numpy==1.23.0 dask==2022.8.1\n" in r.stdout
    assert "FAILED to install dsfix-no-such-package-a with pip" in r.stdout
    assert "FAILED to install dsfix-no-such-package-b==1.0.* with pip" in r.stdout
    assert "0 of 2 installed" in r.stdout
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and "already installed here; nothing to do" in r.stdout and "FAILED" not in r.stdout


def test_pins_as_constraints():
    assert condayml.as_constraint("numpy==1.23.0") == "numpy==1.23.0"
    assert condayml.as_constraint("dask[array]>=2022.8") == "dask>=2022.8"
    assert condayml.as_constraint("pytest") is None and condayml.as_constraint("-e .") is None


def test_swebench_xarray_spec_installs_the_yml_with_pip_then_its_pins():
    install = swebench_spec("pydata/xarray", "0.12").install
    assert not any("conda" in c.split("\n", 1)[0] and "condayml" not in c for c in install)
    assert install[0].startswith(f"cat > {CONDAYML} <<'DSFIX_CONDAYML'\n") and install[0].endswith("\nDSFIX_CONDAYML")
    assert "ci/requirements/environment.yml" in install[1]
    assert f'python {CONDAYML} numpy==1.23.0 packaging==23.1 ' in install[1] and 'dask==2022.8.1 "$f"' in install[1]
    assert install[2].startswith("python -m pip install numpy==1.23.0")      # pinned after: they win
    # the heredoc really writes the translator: run the first command in a shell
    script = textwrap.dedent(install[0]).replace(CONDAYML, "/dev/stdout")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    assert out == open(condayml.__file__).read()
