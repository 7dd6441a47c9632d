"""Exceptions used for control flow in the loop."""


class FormatError(ValueError):
    """The model's answer lacks the block we asked for; it is told and tries again."""


class ModelError(RuntimeError):
    """The model could not answer (after retries): ends the run cleanly."""


class LimitReached(RuntimeError):
    """A step or cost limit stopped the run."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
