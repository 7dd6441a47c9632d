"""Which strategy a run uses, from ``agent`` and what the model can do.

* ``pipeline`` (the default): dsfix asks for a reproduction and diffs, with ``--samples``
  candidates. It suits the bundled local Coder-V2 and models without tool calls, which do better
  in a fixed pipeline than acting on their own.
* ``bash``: agent mode -- by tool calls where the model takes them (``model.tool_calls``, else
  litellm's model map), else by one fenced ```bash block per answer.
* ``auto``: agent mode by tool calls for a model that takes them, else the pipeline. The bundled
  local model and the scripted replay always get the pipeline, whatever a map says of them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .backend import is_local
from .config import ModelSettings, Settings
from .model import supports_tool_calls


@dataclass
class Strategy:
    agent: str          # pipeline | bash
    tool_calls: bool    # agent mode only: by tool calls (else fenced commands)
    why: str

    def record(self) -> dict:
        return vars(self).copy()


def choose(cfg: Settings, model: ModelSettings) -> Strategy:
    """``model``: the settings the run reaches the model with (the local backend's resolved ones)."""
    if cfg.agent == "pipeline":
        return Strategy("pipeline", False, "agent: pipeline")
    if cfg.agent == "auto" and (is_local(cfg.model.name) or cfg.model.name.startswith("scripted/")):
        return Strategy("pipeline", False, "agent: auto, and the bundled local model (or the scripted "
                                           "replay) does better in the pipeline")
    tools = supports_tool_calls(model)
    how = ("model.tool_calls says so" if model.tool_calls is not None
           else "litellm's model map says so")
    if cfg.agent == "bash":
        return Strategy("bash", tools, f"agent: bash, {'by tool calls' if tools else 'by fenced commands'} "
                                       f"({how})")
    if tools:
        return Strategy("bash", True, f"agent: auto, and the model takes tool calls ({how})")
    return Strategy("pipeline", False, f"agent: auto, and the model takes no tool calls ({how})")
