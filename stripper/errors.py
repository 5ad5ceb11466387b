"""Typed errors: the CLI turns each into a one-line message and exit code 1."""


class StripperError(Exception):
    """Base class for every error stripper raises on purpose."""


class ModelError(StripperError):
    """The model is missing, unreadable, or fails its digest check."""


class InputError(StripperError):
    """The input cannot be cleaned (undecodable, binary, malformed, too large)."""


class OutputError(StripperError):
    """An output (file, report, stdout) could not be written in full."""


class OptionError(StripperError, ValueError):
    """An option has a value stripper does not accept (an unknown kind, say)."""


class FixtureProblems(StripperError):
    """Fixture files break the format; ``problems`` lists ``path:line: problem``."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} fixture problem(s)")
        self.problems = problems
