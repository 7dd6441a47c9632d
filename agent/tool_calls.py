"""Agent mode by tool calls, for a model that takes them (``tools.commands.schema``): each step
offers the tools ``bash``, ``apply_diff`` and ``submit``, and reads the calls the model makes.

The conversation stays the trajectory: the assistant's message goes in as the model sent it (its
tool calls, and its ``reasoning_content``, which DeepSeek's thinking mode requires back on the
assistant messages of a turn with tool calls in every later request, HTTP 400 otherwise), and every call is
answered by a ``tool`` message carrying its id, as the protocol requires. A model that answers in
a fenced ```bash block instead is taken at its word; an answer with neither is told so, and three
in a row end the run as a format error, as in the pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsfix.prompts import render
from dsfix.tools.commands import APPLY, diff_payload, kind
from dsfix.tools.commands.schema import TOOLS, CallError, read_call

from .blocks import extract_block
from .errors import FormatError


@dataclass
class Call:
    id: str | None          # None: a fenced block, answered by a user message
    name: str
    kind: str = ""          # tools.commands: shell | apply_diff | submit
    payload: str | None = None
    error: str = ""         # a call dsfix cannot read: what the model is told


def assistant_message(reply) -> dict:
    """The assistant's message for the conversation, with its tool calls, and its reasoning when
    the provider sent the field: DeepSeek requires it back on every assistant message of a turn
    with tool calls (a turn: between two user messages), and ignores it elsewhere."""
    msg: dict = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:   # no text beside the calls: null, as the protocol has it
        msg["content"] = reply.content or None
        msg["tool_calls"] = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                             for c in reply.tool_calls]
    if reply.reasoning_field:
        msg["reasoning_content"] = reply.reasoning_field
    return msg


def read(call) -> Call:
    try:
        what, payload = read_call(call.name, call.arguments)
    except CallError as e:
        return Call(call.id, call.name, error=str(e))
    return Call(call.id, call.name, what, payload)


class ToolTurns:
    def __init__(self, agent):
        """``agent``: the BashAgent whose model, trajectory, limits and accounting are used."""
        self.agent = agent
        self.answer_text = ""   # the text of the latest answer (it may name obsolete tests)

    def next(self) -> list[Call]:
        """One model step (limits checked first): the calls to carry out, in order."""
        a = self.agent
        for _ in range(3):  # three answers in a row with no call end the step
            a._check_limits()
            reply = a.model.query(a.traj.messages, tools=TOOLS)
            meta = a._account(reply, "act")
            self.answer_text = reply.content
            if reply.reasoning_field:
                meta.pop("reasoning", None)   # it is in the message itself
            a.traj.add(assistant_message(reply), **meta)
            if reply.tool_calls:
                return [read(c) for c in reply.tool_calls]
            try:
                command = extract_block(reply.content, "bash")
            except FormatError:
                a.traj.add_message("user", render("feedback_tools"), phase="format")
                continue
            what = kind(command)
            return [Call(None, "bash", what, diff_payload(command) if what == APPLY else command)]
        raise FormatError("three answers in a row without a tool call")

    def reply(self, call: Call, text: str) -> None:
        """What the call did, told to the model: a tool message with the call's id."""
        if call.id is None:
            self.agent.traj.add_message("user", text, phase="act")
        else:
            self.agent.traj.add({"role": "tool", "tool_call_id": call.id, "content": text},
                                phase="act", tool=call.name, **({"error": True} if call.error else {}))
