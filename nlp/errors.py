"""Exceptions raised by the library. The CLI turns each into a one-line error."""


class ClaimlensError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code = 1


class UsageError(ClaimlensError):
    """The command was asked for something impossible (bad option, missing input)."""

    exit_code = 2


class InputError(ClaimlensError):
    """An input (file, directory, record) could not be read."""

    exit_code = 2


class ModelError(ClaimlensError):
    """A model directory is missing, incomplete, tampered with or incompatible."""

    exit_code = 2


class DataError(ClaimlensError):
    """Labelled data is malformed (training, evaluation or import)."""

    exit_code = 2


class OutputError(ClaimlensError):
    """An output (a file, stdout) cannot be written: a missing folder, no permission, a full disk."""

    exit_code = 2
