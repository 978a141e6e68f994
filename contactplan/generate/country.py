"""What differs between the countries a portfolio can be of: the geography, the phone numbers and
their formats, the agents' sites and languages. The two countries are in ``portfolio``; this
module only says what a country is, so the parts that read it need not import the entry points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from contactplan.generate.geography import Geography


@dataclass(frozen=True)
class Country:
    code: str
    language: str
    geography: Callable[[np.random.Generator, int], Geography]
    phone_region: str
    calling_code: int
    draw_numbers: Callable[[np.random.Generator, np.ndarray, str], np.ndarray]
    formatters: tuple[Callable[[str], str], ...]
    format_weights: tuple[float, ...]
    agents: Callable[[np.random.Generator, int], list[dict[str, str]]]
