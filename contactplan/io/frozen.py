"""Building many frozen dataclass objects quickly (the readers build millions of Debtors).

A frozen dataclass's ``__init__`` assigns each field through ``object.__setattr__``; for a Debtor
that is half the time of building one. ``constructor(cls)`` returns a function that puts all the
fields in the object's ``__dict__`` in one call and so gives the same object ``cls(...)`` gives.
It is generated from the dataclass fields, as dataclasses generates ``__init__``. Classes this
does not fit (not frozen, a ``__post_init__``, slots, fields outside ``__init__``) get a plain
call of ``cls``.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_MISSING = dataclasses.MISSING


def constructor(cls: type, *order: str) -> Callable[..., Any]:
    """``cls(...)``, faster. The parameters are those of ``cls.__init__``; with ``order`` they are
    exactly these fields in this order (so that positional calls do not depend on the order of
    the class's fields), every other field taking its default."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [name for name in order if name not in fields]
    required = [name for name, f in fields.items() if f.default is _MISSING and f.default_factory is _MISSING]
    if order and (unknown or set(required) - set(order)):
        raise TypeError(f"{cls.__name__}: {unknown} are not fields, or a field without a default is left out")
    plain = (cls.__dataclass_params__.frozen and not hasattr(cls, "__post_init__")  # type: ignore[attr-defined]
             and "__slots__" not in vars(cls) and all(f.init and not f.kw_only for f in fields.values())
             and not any(name.startswith("_") or name in ("obj", "zip") for name in fields))  # names used below
    if not plain:
        return (lambda *args: cls(**dict(zip(order, args)))) if order else cls
    namespace: dict[str, Any] = {"_cls": cls, "_new": object.__new__, "_MISSING": _MISSING}
    parameters, body = list(order), []
    for name, f in fields.items():
        if f.default is not _MISSING:
            namespace[f"_default_{name}"] = f.default
        if f.default_factory is not _MISSING:
            namespace[f"_factory_{name}"] = f.default_factory
        if order and name not in order:  # not a parameter: always the default
            body.append(f"    {name} = " + (f"_default_{name}" if f.default is not _MISSING else f"_factory_{name}()"))
        elif not order and f.default is not _MISSING:
            parameters.append(f"{name}=_default_{name}")
        elif not order and f.default_factory is not _MISSING:
            parameters.append(f"{name}=_MISSING")
            body.append(f"    if {name} is _MISSING: {name} = _factory_{name}()")
        elif not order:
            parameters.append(name)
    # Pairs inserted in field order keep the instance dict's keys shared with the class's other
    # instances, as __init__ does (a dict built apart would take twice the memory).
    namespace["_names"] = tuple(fields)
    source = "\n".join([f"def build({', '.join(parameters)}):", *body, "    obj = _new(_cls)",
                        f"    obj.__dict__.update(zip(_names, ({', '.join(fields)},)))", "    return obj", ""])
    exec(source, namespace)  # noqa: S102 - code generated from the class's own field names
    build = namespace["build"]
    build.__qualname__ = build.__name__ = f"new_{cls.__name__.lower()}"
    return build


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects.

    A million debtors are ten million objects the collector tracks. Left running, it would walk
    them again and again while they are built (twice the time); re-enabled after, its youngest
    generations would walk them all at once (seconds). What the readers and the audit build holds
    no reference cycles (reference counting frees what is dropped), so what is kept goes straight
    to the oldest generation (freeze then unfreeze), unless the program froze objects itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
