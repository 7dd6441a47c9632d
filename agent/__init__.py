"""dsfix.agent: the plan-edit-test loop, model layer, config and CLI."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dsfix")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
