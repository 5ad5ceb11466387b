"""Where outputs may land: never on an input, never inside an input directory.

Outputs are judged by where their bytes would land: the directory part of
the path is resolved (symlinks followed, ``..`` folded), so an output
directory with a symlink into the input tree (``out/sub -> ../in/sub``)
cannot be used to overwrite inputs. Inputs are only ever read.
"""

import os
from pathlib import Path

from .errors import InputError


def landing(path):
    """Where a file written to ``path`` lands: its resolved directory, then its name.

    Files are written by renaming a temporary file onto ``path``, which
    replaces a symlink at ``path`` itself; a symlink in a directory part
    is followed.
    """
    path = Path(path)
    return Path(os.path.realpath(path.parent)) / path.name


class InputTrees:
    """The inputs of a run, resolved, to tell whether an output would land on one.

    ``inputs`` are files and directories; ``-`` (stdin) is ignored.
    """

    def __init__(self, inputs):
        self.directories, self.files, self._keys = [], {}, {}
        for given in inputs:
            if str(given) == "-":
                continue
            real = Path(os.path.realpath(given))
            if real.is_dir():
                self.directories.append((real, given))
            else:
                self.files[real] = given
                key = _file_key(real)
                if key is not None:
                    self._keys[key] = given
        self._resolved = {}

    def holding(self, path):
        """``None`` if ``path`` is safe to write; else why not, in words."""
        problem = self._holding(path)
        return problem and problem + _through_link(path)

    def _holding(self, path):
        directory = Path(path).parent
        if directory not in self._resolved:  # many outputs share a directory
            self._resolved[directory] = landing(path).parent
        lands = self._resolved[directory] / Path(path).name
        for real, given in self.directories:
            if lands == real or real in lands.parents:
                return f"lies inside input directory {given}"
        same = self.files.get(lands)
        if same is None and self._keys:  # a hard link or a symlink to an input file
            same = self._keys.get(_file_key(path))
        if same is not None:
            return f"is the input {same}"
        return None

    def refuse(self, path, what):
        """:class:`InputError` if ``path`` (the ``what``, e.g. ``-o``) would land on an input."""
        problem = self.holding(path)
        if problem:
            raise InputError(f"{what} {path} {problem}; inputs are never overwritten, "
                             f"choose another {what}")


def _file_key(path):
    """``(device, inode)`` of an existing file (so hard links match), else ``None``."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _through_link(path):
    lands = landing(path)
    return "" if lands == Path(os.path.abspath(path)) else f" (through a symlink: {lands})"


def refuse_overwriting(output, inputs, what="-o"):
    """:class:`InputError` if ``output`` is one of ``inputs`` or lies inside an input directory."""
    InputTrees(inputs).refuse(output, what)
