"""Rasa's command line with fixes for Rasa 3.6: `python -m neurotriage.rasa_runtime run|shell|test ...`.

Four speed fixes, below; one for safety: a warning sign is answered even while the conversation waits for a person;
two for faults: a failing custom action is explained to the patient (resilience.py), and
a tracker store that fails raises instead of being replaced by memory (below); and one for privacy: log lines have
personal identifiers redacted (privacy/log_redaction.py).

Rasa 3.6 wraps the tracker store in a fail-safe that, when the database fails, logs the error and carries on in
memory: the conversation starts again from the greeting, and what the patient then says is held by one instance
only and lost when the database is back. Here the error propagates instead; the channel (channels.py) tells the
patient that the message could not be taken in, to send it again later, and how to get help meanwhile.

1. Rasa 3.6 checks every answer from the action server with `jsonschema.validate(result, schema)`. With the jsonschema
that Rasa 3.6 allows (4.17), that call first re-checks the schema itself against the 2020-12 meta-schema: about 16 ms
per custom action on a 2-core machine, and a triage turn runs several custom actions. The fix checks answers against
the same schema with a validator built once. An invalid answer still raises the same ValidationError.
2. Loading a conversation from the tracker store looks up each stored event's class by walking every subclass of
Event, once per event. The fix remembers the class for each event name; an unknown name takes Rasa's own path.
3. Every action prediction runs every policy, and Rasa's ensemble then picks one. When a rule has predicted with
full confidence, no policy of lower priority can win (rules 3 and 4 of DefaultPolicyPredictionEnsemble), yet TED
still ran its network: about a quarter of the server's time. Memoization and TED are now told the rule's prediction
and return "no prediction" when it cannot lose. They still run when the rule was unsure, when the last action was
rejected (the ensemble then zeroes the rule's choice), and when the rule's prediction is not a plain intent-based
one. The winner, its confidences and its events are what Rasa alone would give.
4. Every graph run recomputes which nodes its targets need, walking the dependency tree without memory; the answer
is now kept per schema and target list.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.memoization import AugmentedMemoizationPolicy, MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.processor import MessageProcessor
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, Event
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.utils.common import all_subclasses


@functools.lru_cache(maxsize=1)
def _action_result_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """Same contract as RemoteAction._validate_action_result: True, or the best-matching ValidationError."""
    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (f". Failed to validate Action server response from API, make sure your response from the "
                      f"Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
    raise error


_resolve_event_class = Event.resolve_by_type
_event_classes: Dict[str, type] = {}


def resolve_event_class(type_name: str, default: Optional[type] = None) -> Optional[type]:
    """Same contract as Event.resolve_by_type, remembering each class found."""
    found = _event_classes.get(type_name)
    if found is None:
        found = next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)
        if found is None:
            return _resolve_event_class(type_name, default)
        _event_classes[type_name] = found
    return found


# --- 3. policies that cannot beat a certain rule do not run --------------------------------------------------------
PREDICT = "predict_action_probabilities"
GATED_POLICIES = (MemoizationPolicy, AugmentedMemoizationPolicy, TEDPolicy)  # exact classes: not Rule/UnexpecTED
RULE_PREDICTION = "rule_prediction"  # the extra input a gated policy receives


def rule_prediction_cannot_lose(rule: PolicyPrediction, policy_priority: int, tracker: Any,
                                precomputations: Any = None) -> bool:
    """True when Rasa's ensemble would choose `rule` over any prediction of a policy with `policy_priority`."""
    if rule.is_end_to_end_prediction or precomputations is not None:
        return False  # the gated policy could make an end-to-end prediction, which outranks intent-based ones
    if rule.max_confidence < 1.0 or rule.policy_priority <= policy_priority:
        return False
    last_action = next((event for event in reversed(tracker.events)
                        if isinstance(event, (ActionExecutionRejected, ActionExecuted))), None)
    return not isinstance(last_action, ActionExecutionRejected)


def _gated(predict):
    @functools.wraps(predict)
    def predict_unless_rule_decided(self, tracker, domain, rule_prediction: Optional[PolicyPrediction] = None,
                                    **kwargs):
        if rule_prediction is not None and rule_prediction_cannot_lose(
                rule_prediction, self.priority, tracker, kwargs.get("precomputations")):
            return self._prediction(self._default_predictions(domain))
        return predict(self, tracker, domain, **kwargs)
    return predict_unless_rule_decided


def gate_policies_behind_rules(schema: GraphSchema) -> GraphSchema:
    """The prediction schema with the rule policy's prediction given to each gated policy node as an input."""
    rule_nodes = [name for name, node in schema.nodes.items() if node.fn == PREDICT and node.uses is RulePolicy]
    if len(rule_nodes) != 1:
        return schema
    nodes = {}
    for name, node in schema.nodes.items():
        if node.fn == PREDICT and node.uses in GATED_POLICIES and node.eager:
            node = dataclasses.replace(node, needs={**node.needs, RULE_PREDICTION: rule_nodes[0]})
        nodes[name] = node
    return GraphSchema(nodes)


_runner_init = DaskGraphRunner.__init__
_should_handle_message = MessageProcessor._should_handle_message


def runner_with_gated_policies(self: DaskGraphRunner, graph_schema: GraphSchema, *args: Any, **kwargs: Any) -> None:
    graph_schema = gate_policies_behind_rules(graph_schema)
    _runner_init(self, graph_schema, *args, **kwargs)
    for name, node in graph_schema.nodes.items():
        if RULE_PREDICTION in node.needs:
            graph_node = self._instantiated_nodes[name]
            graph_node._fn = _gated(graph_node._fn)


# --- 4. the nodes a graph run needs, computed once per target list -------------------------------------------------
_minimal_graph_schema = GraphSchema.minimal_graph_schema


def remembered_minimal_graph_schema(self: GraphSchema, targets: Optional[List[str]] = None) -> GraphSchema:
    remembered = self.__dict__.setdefault("_minimal_schemas", {})
    key = tuple(targets) if targets else None
    if key not in remembered:
        remembered[key] = _minimal_graph_schema(self, targets)
    return remembered[key]


# --- a warning sign is answered even while the conversation waits for a person ---------------------------------------
WARNING_SIGN_INTENT = "report_red_flag"  # set by the NLU's RedFlagDetector on every message that names a warning sign


def should_handle_message(tracker: Any) -> bool:
    """Rasa stays silent in a paused conversation (handed to a person) unless the patient restarts it. A warning sign
    must never meet silence: it is handled (the rules escalate it), and the conversation stays with the person."""
    latest = tracker.latest_message
    return _should_handle_message(tracker) or (
        latest is not None and (latest.intent or {}).get("name") == WARNING_SIGN_INTENT)


# --- a failing tracker store is not replaced by memory ---------------------------------------------------------------
def raise_tracker_store_error(self: FailSafeTrackerStore, error: Exception) -> None:
    """Replaces the fail-safe's error handlers, which log and fall back to an in-memory store."""
    raise error


def apply_fixes() -> None:
    from neurotriage.privacy.log_redaction import redact_log_records
    from neurotriage.resilience import explain_failed_actions

    redact_log_records()
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_class)
    DaskGraphRunner.__init__ = runner_with_gated_policies
    GraphSchema.minimal_graph_schema = remembered_minimal_graph_schema
    MessageProcessor._should_handle_message = staticmethod(should_handle_message)
    FailSafeTrackerStore.on_tracker_store_error = raise_tracker_store_error
    FailSafeTrackerStore.on_tracker_store_retrieve_error = raise_tracker_store_error
    explain_failed_actions()


def with_api_token(argv: List[str], environ: Dict[str, str], env_file: Optional[Path] = None) -> List[str]:
    """`run --enable-api` without `--auth-token` takes the token from RASA_API_TOKEN. A token on the command line
    can be read by every user of the machine (ps, /proc/PID/cmdline); this process's own argument list cannot."""
    if argv[1:2] != ["run"] or "--enable-api" not in argv:
        return argv
    if any(argument == "--auth-token" or argument.startswith("--auth-token=") for argument in argv):
        return argv
    token = environ.get("RASA_API_TOKEN")
    if not token:
        from neurotriage.config import PROJECT_ROOT, load_settings
        token = load_settings(env_file or PROJECT_ROOT / ".env", environ).rasa_api_token
    return argv + [f"--auth-token={token}"]  # one argument: a token may start with "-", like an option


def main() -> None:
    from rasa.__main__ import main as rasa_main

    from neurotriage.config import SettingsError

    try:
        sys.argv = with_api_token(sys.argv, dict(os.environ))
    except SettingsError as error:  # the HTTP API must never run open
        sys.exit(f"Configuration problem: {error}")
    apply_fixes()
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
