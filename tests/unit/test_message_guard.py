"""MessageGuard: control characters dropped, white space folded, over-long text cut and the cut logged."""
import logging

from neurotriage.nlu.components import MessageGuard


def test_control_characters_and_spaces():
    assert MessageGuard(100).clean("my\x00 feet\x07   burn\t\t ") == "my feet burn"
    assert MessageGuard(100).clean("line one\nline two") == "line one\nline two"


def test_long_text_is_cut_and_logged_without_the_text(caplog):
    with caplog.at_level(logging.WARNING):
        assert MessageGuard(100).clean("secret " * 50) == ("secret " * 50)[:100]
    assert "349 characters cut to 100" in caplog.text
    assert "secret" not in caplog.text


def test_emoji_and_other_scripts_survive():
    assert MessageGuard(100).clean("😭 足が痛い") == "😭 足が痛い"
