"""Warning-sign questions by presentation: asked only where they apply, once, most urgent first."""
from dataclasses import dataclass, field
from typing import Optional, Sequence

from neurotriage.clinical.triage import TriageInput, decide
from neurotriage.clinical.warning_questions import Presentation, answered, applies, pending, record


@dataclass(frozen=True)
class Flag:
    id: str
    triage_level: str
    question: Optional[str]
    ask_when: Sequence[dict] = field(default_factory=tuple)
    name: str = "a sign"


CAUDA = Flag("bladder_bowel_dysfunction", "emergency", "Any new bladder or bowel problems?",
             ({"conditions": ["sciatica"]}, {"body_parts": ["back", "lower_back"]}))
CHARCOT = Flag("charcot_foot", "urgent", "Is a foot hot, red or swollen?", ({"conditions": ["diabetes"],
                                                                             "body_parts": ["feet", "toes"]},))
SILENT = Flag("chest_pain", "emergency", None)


def test_a_question_applies_when_one_alternative_matches_in_full():
    assert applies(CAUDA, Presentation.of(conditions=["sciatica"]))
    assert applies(CAUDA, Presentation.of(body_parts=["lower_back"]))
    assert not applies(CAUDA, Presentation.of(body_parts=["feet"]))
    assert applies(CHARCOT, Presentation.of(conditions=["diabetes"], body_parts=["feet"]))
    assert not applies(CHARCOT, Presentation.of(conditions=["diabetes"], body_parts=["hands"]))
    assert not applies(SILENT, Presentation.of(body_parts=["chest"]))


def test_pending_questions_are_asked_once_most_urgent_first_and_skip_signs_already_heard():
    presentation = Presentation.of(conditions=["sciatica", "diabetes"], body_parts=["feet", "back"])
    assert [f.id for f in pending([CHARCOT, CAUDA, SILENT], presentation, [])] == [CAUDA.id, CHARCOT.id]
    assert [f.id for f in pending([CHARCOT, CAUDA], presentation, [CAUDA.id])] == [CHARCOT.id]
    assert [f.id for f in pending([CHARCOT, CAUDA], presentation, [], heard=[CHARCOT.id])] == [CAUDA.id]


def test_answers_are_kept_in_order_and_a_new_answer_replaces_the_old():
    asked = record(record([], CAUDA.id, "unknown"), CHARCOT.id, "no")
    assert answered(record(asked, CAUDA.id, "no")) == {CHARCOT.id: "no", CAUDA.id: "no"}


def test_not_sure_about_an_emergency_sign_means_advice_today_never_self_care():
    decision = decide(TriageInput(screening_positive=False, chronic=False, pain_score=2, limits_daily_life=False,
                                  unsure_warning_signs=(("New bladder or bowel problems", "emergency"),)))
    assert decision.level == "urgent" and "weren't sure" in " ".join(decision.reasons)
