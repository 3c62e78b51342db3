"""The speed fixes in neurotriage.rasa_runtime keep Rasa's contracts: same verdicts, same errors, same classes, same
predictions."""
import copy
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.policies.unexpected_intent_policy import UnexpecTEDIntentPolicy
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from neurotriage import rasa_runtime

ACTION = RemoteAction("action_example", None)
VALID_ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "pain_score", "value": 7}], "responses": [{"text": "Thank you."}]},
    {"events": [{"event": "active_loop", "name": None}], "responses": [{"custom": {"triage_summary": {}}}]},
]
INVALID_ANSWERS = [
    {"events": "not a list", "responses": []},
    {"events": [{"name": "pain_score"}], "responses": []},
    {"events": [{"event": "slot", "name": "pain_score"}], "responses": []},
    {"events": [], "responses": "not a list"},
]


@pytest.mark.parametrize("answer", VALID_ANSWERS)
def test_a_valid_action_answer_passes_as_with_rasa(answer):
    validate(answer, RemoteAction.action_response_format_spec())
    assert rasa_runtime.validate_action_result(ACTION, answer) is True


@pytest.mark.parametrize("answer", INVALID_ANSWERS)
def test_an_invalid_action_answer_raises_rasas_error(answer):
    with pytest.raises(ValidationError) as rasas:
        RemoteAction._validate_action_result(ACTION, answer)
    with pytest.raises(ValidationError) as fixed:
        rasa_runtime.validate_action_result(ACTION, answer)
    assert fixed.value.message == rasas.value.message


@pytest.mark.parametrize("event_class", [cls for cls in all_subclasses(Event) if cls.type_name != "event"],
                         ids=lambda cls: cls.type_name)
def test_every_event_name_resolves_to_the_class_rasa_finds(event_class):
    assert rasa_runtime.resolve_event_class(event_class.type_name) is Event.resolve_by_type(event_class.type_name)


def test_unknown_event_names_keep_rasas_handling():
    assert rasa_runtime.resolve_event_class("topic") is None
    assert rasa_runtime.resolve_event_class("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="no_such_event"):
        rasa_runtime.resolve_event_class("no_such_event")


def test_apply_fixes_replaces_the_methods(monkeypatch):
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    monkeypatch.setattr(DaskGraphRunner, "__init__", DaskGraphRunner.__init__)
    monkeypatch.setattr(GraphSchema, "minimal_graph_schema", GraphSchema.minimal_graph_schema)
    monkeypatch.setattr(FailSafeTrackerStore, "on_tracker_store_error", FailSafeTrackerStore.on_tracker_store_error)
    monkeypatch.setattr(FailSafeTrackerStore, "on_tracker_store_retrieve_error",
                        FailSafeTrackerStore.on_tracker_store_retrieve_error)
    rasa_runtime.apply_fixes()
    assert RemoteAction._validate_action_result is rasa_runtime.validate_action_result
    assert Event.resolve_by_type is rasa_runtime.resolve_event_class
    assert DaskGraphRunner.__init__ is rasa_runtime.runner_with_gated_policies
    assert GraphSchema.minimal_graph_schema is rasa_runtime.remembered_minimal_graph_schema
    assert FailSafeTrackerStore.on_tracker_store_error is rasa_runtime.raise_tracker_store_error
    assert getattr(logging.getLogRecordFactory(), "redacts", False)


# --- 3. policies gated behind a certain rule -------------------------------------------------------------------------
ACTIONS = ["utter_greet", "action_ask_pain", "assessment_form", "action_default_fallback", "utter_goodbye"]
DOMAIN = Domain.from_dict({"actions": ACTIONS})


def _prediction(probabilities, name, priority, **flags):
    return PolicyPrediction(list(probabilities), name, priority, **flags)


def _confidences(size):
    return st.lists(st.sampled_from([0.0, 0.05, 0.3, 0.5, 0.99, 1.0]), min_size=size, max_size=size)


@st.composite
def ensembles(draw):
    """A rule prediction, a memoization and a TED prediction, and the tracker they were made for."""
    count = DOMAIN.num_actions
    certain = draw(st.booleans())
    chosen = draw(st.sampled_from(ACTIONS))
    if certain:
        rule_probabilities = [1.0 if index == DOMAIN.index_for_action(chosen) else 0.0 for index in range(count)]
    else:  # no rule matched: the fallback at core_fallback_threshold, or nothing at all
        fallback = [0.0] * count
        fallback[DOMAIN.index_for_action("action_default_fallback")] = 0.3
        rule_probabilities = draw(st.sampled_from([[0.0] * count, fallback]))
    rule = _prediction(rule_probabilities, "RulePolicy", 6, is_no_user_prediction=draw(st.booleans()))
    memo = _prediction(draw(_confidences(count)), "MemoizationPolicy", 3)
    precomputations = draw(st.sampled_from([None, object()]))
    ted_end_to_end = precomputations is not None and draw(st.booleans())
    ted = _prediction(draw(_confidences(count)), "TEDPolicy", 1, is_end_to_end_prediction=ted_end_to_end)
    events = [ActionExecuted("action_listen"), UserUttered("hello", {"name": "greet"})]
    last = draw(st.sampled_from(["executed", "rejected", "listen"]))
    if last == "rejected":
        rejected = draw(st.sampled_from([chosen] + ACTIONS))  # often the rule's own choice
        events += [ActionExecuted("utter_greet"), ActionExecutionRejected(rejected)]
    elif last == "executed":
        events.append(ActionExecuted(draw(st.sampled_from(ACTIONS))))
    tracker = DialogueStateTracker.from_events("patient", events)
    return rule, memo, ted, precomputations, tracker


@settings(max_examples=400, deadline=None, derandomize=True)  # the same cases on every run
@given(ensembles())
def test_a_skipped_policy_never_changes_what_rasas_ensemble_chooses(case):
    rule, memo, ted, precomputations, tracker = case
    ensemble = DefaultPolicyPredictionEnsemble()
    expected = ensemble.combine_predictions(copy.deepcopy([rule, memo, ted]), tracker, DOMAIN)
    gated = [copy.deepcopy(rule)]
    for prediction in (memo, ted):
        if rasa_runtime.rule_prediction_cannot_lose(rule, prediction.policy_priority, tracker, precomputations):
            prediction = _prediction([0.0] * DOMAIN.num_actions, prediction.policy_name, prediction.policy_priority)
        gated.append(copy.deepcopy(prediction))
    chosen = ensemble.combine_predictions(gated, tracker, DOMAIN)
    assert (chosen.policy_name, chosen.probabilities, chosen.events, chosen.is_no_user_prediction) == \
           (expected.policy_name, expected.probabilities, expected.events, expected.is_no_user_prediction)


def test_the_rule_stops_lower_policies_only_when_it_is_certain():
    certain = _prediction([0.0, 1.0, 0.0, 0.0, 0.0], "RulePolicy", 6)
    unsure = _prediction([0.0, 0.0, 0.0, 0.3, 0.0], "RulePolicy", 6)
    listened = DialogueStateTracker.from_events("p", [ActionExecuted("action_listen"), UserUttered("hi")])
    rejected = DialogueStateTracker.from_events("p", [ActionExecuted("action_listen"), UserUttered("hi"),
                                                      ActionExecutionRejected("assessment_form")])
    assert rasa_runtime.rule_prediction_cannot_lose(certain, 1, listened)
    assert not rasa_runtime.rule_prediction_cannot_lose(unsure, 1, listened)
    assert not rasa_runtime.rule_prediction_cannot_lose(certain, 1, rejected)
    assert not rasa_runtime.rule_prediction_cannot_lose(certain, 6, listened)  # equal priority: order decides
    assert not rasa_runtime.rule_prediction_cannot_lose(certain, 1, listened, precomputations=object())


class _CountingPolicy:
    priority = 1

    def __init__(self):
        self.calls = 0

    def _default_predictions(self, domain):
        return [0.0] * domain.num_actions

    def _prediction(self, probabilities):
        return _prediction(probabilities, "TEDPolicy", self.priority)

    def predict_action_probabilities(self, tracker, domain, rule_only_data=None, **kwargs):
        self.calls += 1
        return self._prediction([0.0, 0.0, 0.0, 0.0, 0.9])


def test_a_gated_policy_runs_unless_the_rule_decided():
    policy = _CountingPolicy()
    predict = rasa_runtime._gated(_CountingPolicy.predict_action_probabilities)
    tracker = DialogueStateTracker.from_events("p", [ActionExecuted("action_listen"), UserUttered("hi")])
    certain = _prediction([0.0, 1.0, 0.0, 0.0, 0.0], "RulePolicy", 6)
    unsure = _prediction([0.0, 0.0, 0.0, 0.3, 0.0], "RulePolicy", 6)
    assert predict(policy, tracker=tracker, domain=DOMAIN, rule_only_data={}, rule_prediction=certain).max_confidence == 0
    assert policy.calls == 0
    assert predict(policy, tracker=tracker, domain=DOMAIN, rule_only_data={}, rule_prediction=unsure).max_confidence == 0.9
    assert predict(policy, tracker=tracker, domain=DOMAIN, rule_only_data={}).max_confidence == 0.9
    assert policy.calls == 2


def _node(uses, fn="predict_action_probabilities", needs=None):
    return SchemaNode(needs=needs or {"tracker": "__tracker__"}, uses=uses, constructor_name="load", fn=fn, config={},
                      eager=True)


def test_the_prediction_schema_gives_the_rule_prediction_to_memoization_and_ted_only():
    schema = GraphSchema({
        "run_RulePolicy0": _node(RulePolicy),
        "run_MemoizationPolicy1": _node(MemoizationPolicy),
        "run_TEDPolicy2": _node(TEDPolicy),
        "run_UnexpecTEDIntentPolicy3": _node(UnexpecTEDIntentPolicy),
        "select_prediction": _node(DefaultPolicyPredictionEnsemble, fn="combine_predictions_from_kwargs",
                                   needs={"policy0": "run_RulePolicy0", "policy1": "run_MemoizationPolicy1",
                                          "policy2": "run_TEDPolicy2", "policy3": "run_UnexpecTEDIntentPolicy3"}),
    })
    gated = rasa_runtime.gate_policies_behind_rules(schema)
    assert gated.nodes["run_MemoizationPolicy1"].needs["rule_prediction"] == "run_RulePolicy0"
    assert gated.nodes["run_TEDPolicy2"].needs["rule_prediction"] == "run_RulePolicy0"
    for unchanged in ("run_RulePolicy0", "run_UnexpecTEDIntentPolicy3", "select_prediction"):
        assert gated.nodes[unchanged] == schema.nodes[unchanged]
    assert "rule_prediction" not in schema.nodes["run_TEDPolicy2"].needs  # the model's own schema is left alone
    without_rules = GraphSchema({"run_TEDPolicy0": _node(TEDPolicy)})
    assert rasa_runtime.gate_policies_behind_rules(without_rules) is without_rules


# --- 4. minimal schemas remembered -----------------------------------------------------------------------------------
def test_the_remembered_minimal_schema_is_rasas():
    schema = GraphSchema({
        "a": _node(RulePolicy, needs={"tracker": "__tracker__"}),
        "b": _node(TEDPolicy, needs={"x": "a"}),
        "c": _node(MemoizationPolicy, needs={"y": "b", "z": "a"}),
        "d": _node(TEDPolicy, needs={"tracker": "__tracker__"}),
    })
    for targets in (["c"], ["b"], ["d"], ["c", "d"], None):
        remembered = rasa_runtime.remembered_minimal_graph_schema(schema, targets)
        assert remembered == rasa_runtime._minimal_graph_schema(schema, targets)
        assert rasa_runtime.remembered_minimal_graph_schema(schema, targets) is remembered


# --- the API token never on the command line ---------------------------------------------------------------------
def test_the_api_token_comes_from_the_environment_not_the_command_line():
    argv = ["rasa_runtime", "run", "--model", "m.tar.gz", "--enable-api", "--port", "5005"]
    assert rasa_runtime.with_api_token(argv, {"RASA_API_TOKEN": "s3cret"}) == argv + ["--auth-token=s3cret"]


@pytest.mark.parametrize("token", ["-starts-like-an-option", "plain_token-0123", "--double"])
def test_rasas_own_command_line_reads_the_token_whatever_it_starts_with(token):
    from rasa.__main__ import create_argument_parser

    argv = ["rasa_runtime", "run", "--enable-api", "--cors", "http://127.0.0.1:8080", "http://localhost:8080"]
    parsed = create_argument_parser().parse_args(rasa_runtime.with_api_token(argv, {"RASA_API_TOKEN": token})[1:])
    assert parsed.auth_token == token and parsed.enable_api
    assert parsed.cors == ["http://127.0.0.1:8080", "http://localhost:8080"]


@pytest.mark.parametrize("argv", [
    ["rasa_runtime", "run", "--enable-api", "--auth-token", "given"],
    ["rasa_runtime", "run", "--enable-api", "--auth-token=given"],
    ["rasa_runtime", "run", "--port", "5005"],  # no HTTP API, no token needed
    ["rasa_runtime", "shell", "--model", "m.tar.gz"],
], ids=["token given", "token given with =", "no api", "shell"])
def test_other_command_lines_are_left_alone(argv):
    assert rasa_runtime.with_api_token(argv, {"RASA_API_TOKEN": "s3cret"}) == argv


def test_without_any_token_the_api_does_not_start(tmp_path):
    from neurotriage.config import SettingsError

    with pytest.raises(SettingsError, match="RASA_API_TOKEN"):
        rasa_runtime.with_api_token(["rasa_runtime", "run", "--enable-api"], {}, env_file=tmp_path / ".env")


def test_the_token_is_read_from_the_env_file_when_the_environment_lacks_it(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("RASA_API_TOKEN=from-the-file-0123456789abcdef\nACTION_SERVER_SECRET=0123456789abcdef01\n"
                        "STAFF_TOKEN=another-0123456789abcdef\n")
    argv = rasa_runtime.with_api_token(["rasa_runtime", "run", "--enable-api"], {}, env_file=env_file)
    assert argv[-1] == "--auth-token=from-the-file-0123456789abcdef"


def test_a_warning_sign_is_handled_while_the_conversation_waits_for_a_person():
    from rasa.shared.core.events import ConversationPaused, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from neurotriage.rasa_runtime import should_handle_message

    def paused_with(intent):
        return DialogueStateTracker.from_events("p", [ConversationPaused(), UserUttered("x", {"name": intent})])

    assert should_handle_message(paused_with("report_red_flag"))
    assert not should_handle_message(paused_with("describe_pain"))
    assert should_handle_message(DialogueStateTracker.from_events("p", [UserUttered("x", {"name": "greet"})]))
