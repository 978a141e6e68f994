"""Reading the user's files safely: never a device (``/dev/zero`` would be read for ever), never
more than a TOML file can sensibly hold, and TOML decoded the same way everywhere (a UTF-8 byte
order mark, as Windows editors write it, is accepted; nesting too deep for the parser is an
error, not a crash)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path
from typing import Any

from contactplan.errors import InputError
from contactplan.i18n import os_reason, tr

TOML_LIMIT = 16 * 1024 * 1024  # a config, a pack or a model is a few kilobytes; a million cells is ~150 MB


def check_readable(path: str | Path) -> None:
    """Refuse a character or block device (a regular file, a FIFO and a symlink to them are fine)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return  # the read that follows reports it with its reason
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise InputError(str(path), tr("is a device, not a file; give the path of a file (or - for standard input)"))


def read_limited(path: str | Path, limit: int, what: str) -> bytes:
    """At most ``limit`` bytes of the file; ``what`` says what it should be ("config", "rule pack"),
    marked N_() by the caller and translated here."""
    check_readable(path)
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise InputError(str(path), tr("cannot read {what}: {reason}", what=tr(what),
                                       reason=os_reason(exc))) from None
    if len(data) > limit:
        raise InputError(str(path), tr("is larger than {mb} MB, far more than any {what}: is it the right file?",
                                       mb=limit // (1024 * 1024), what=tr(what)))
    return data


def load_toml(path: str | Path, what: str, limit: int = TOML_LIMIT) -> dict[str, Any]:
    """A TOML file as a dict, or InputError naming the file (``what`` says what it should be)."""
    source = str(path)
    raw = read_limited(path, limit, what)
    return parse_toml(raw.removeprefix(b"\xef\xbb\xbf"), source)


def parse_toml(raw: bytes | str, source: str) -> dict[str, Any]:
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, tr("is not UTF-8 text (byte {offset}); TOML files are UTF-8: save it as UTF-8",
                                    offset=exc.start)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, tr("invalid TOML: {error}", error=exc)) from None
    except RecursionError:
        raise InputError(source, tr("invalid TOML: tables or arrays nested too deeply")) from None


def write_stdout(text: str) -> None:
    """``text`` to standard output, all of it or BrokenPipeError (write_stdout_bytes)."""
    write_stdout_text([text])


def write_stdout_text(chunks) -> None:
    """Text in pieces to standard output, in its encoding, all of it or BrokenPipeError."""
    import sys

    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    write_stdout_bytes(chunk.encode(encoding) for chunk in chunks)


def write_stdout_bytes(chunks) -> None:
    """The chunks to standard output, all of them or BrokenPipeError. sys.stdout alone is not
    enough: unbuffered (PYTHONUNBUFFERED=1) it hands each write to the file once and drops what
    a pipe whose reader went away did not take, so a plan could arrive cut short without an error."""
    import io
    import os
    import sys

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):  # not a real file (a test runner's capture)
        out = getattr(sys.stdout, "buffer", None)
        for chunk in chunks:
            out.write(chunk) if out is not None else sys.stdout.write(chunk.decode("utf-8"))
        sys.stdout.flush()
        return
    sys.stdout.flush()
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]
