"""What the REST channel refuses before Rasa sees it, and what it lets through."""
import json

import pytest

from neurotriage.channels import rest_body_problem


@pytest.mark.parametrize("body, named", [
    (b"", "JSON in UTF-8"), (b"{", "JSON in UTF-8"), (b"\xff\xfe\x00", "JSON in UTF-8"),
    (b"null", "JSON object"), (b"[1, 2]", "JSON object"), (b"\"hello\"", "JSON object"),
    (b"{\"message\": \"hi\"}", "\"sender\""), (b"{\"sender\": 7, \"message\": \"hi\"}", "\"sender\""),
    (b"{\"sender\": \"\", \"message\": \"hi\"}", "\"sender\""),
    (json.dumps({"sender": "x" * 256, "message": "hi"}).encode(), "\"sender\""),
    (b"{\"sender\": \"p1\"}", "\"message\""), (b"{\"sender\": \"p1\", \"message\": [\"hi\"]}", "\"message\""),
])
def test_malformed_bodies_are_named(body, named):
    assert named in rest_body_problem(body)


@pytest.mark.parametrize("payload", [
    {"sender": "p1", "message": "my feet burn"}, {"sender": "p1", "message": ""},
    {"sender": "p1", "message": "a" * 100_000}, {"sender": "p1", "message": "hi", "metadata": {"page": "/"}},
    {"sender": "😀" * 10, "message": "\u202e<script>"},
])
def test_well_formed_bodies_pass(payload):
    assert rest_body_problem(json.dumps(payload).encode()) is None
