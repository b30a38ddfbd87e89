"""Pure stacking core: the rule language, graph checks, exact evaluation, plans, progress."""

from registry.stacking.engine import prepare
from registry.stacking.evaluate import BadRequest, evaluate
from registry.stacking.graph import CycleError, build_graph, find_cycle
from registry.stacking.model import Catalogue, CredentialSpec
from registry.stacking.pages import explanation, pathway, qualification_status
from registry.stacking.rules import RuleProblem, leaf_ids, referenced_ids, rule_problems

__all__ = [
    "BadRequest",
    "Catalogue",
    "CredentialSpec",
    "CycleError",
    "RuleProblem",
    "build_graph",
    "evaluate",
    "explanation",
    "find_cycle",
    "leaf_ids",
    "pathway",
    "prepare",
    "qualification_status",
    "referenced_ids",
    "rule_problems",
]
