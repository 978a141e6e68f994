"""contactplan: compliant daily contact plans for debt-collection contact centres.

Library first; the ``contactplan`` command is a thin layer over this API::

    from contactplan import load_inputs, build_plan, audit_plan
    inputs = load_inputs("debtors.csv", "agents.csv")
    plan = build_plan(inputs, datetime.date(2026, 11, 24))

The plan date is always an input: nothing in the library reads the clock or the machine's zone.
"""

from contactplan.audit import audit_plan
from contactplan.model import Inputs, Plan, Violation
from contactplan.planner import build_plan, load_inputs
from contactplan.rules.packs import PackSet, RulePack

__all__ = ["Inputs", "PackSet", "Plan", "RulePack", "Violation", "audit_plan", "build_plan", "load_inputs"]
