"""The docs' curl lines are found and rewritten for a test stack (tests/doc_commands.py);
every documented API call names a versioned path and sends a key (the live check is
tests/integration/test_docs_commands.py)."""

from __future__ import annotations

import pytest

from tests.doc_commands import ROOT, curl_commands, documents, localized

MARKDOWN = """
Inline: `curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/v1/x` and `curl`.

```sh
curl -s -H "Authorization: Bearer $API_METRICS_TOKEN" http://api:8000/metrics \\
  | grep '<agreement>'          # what Prometheus scrapes
kubectl get pods
jq . body.json |
  curl -X PUT --data @- http://127.0.0.1:8000/v1/y
```
"""


def test_curl_commands_are_found_inline_and_in_fenced_blocks_with_continuations() -> None:
    assert curl_commands(MARKDOWN) == [
        'curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/v1/x',
        'curl -s -H "Authorization: Bearer $API_METRICS_TOKEN" http://api:8000/metrics '
        "| grep '<agreement>'          # what Prometheus scrapes",
    ]


def test_localized_drops_pipes_comments_and_output_files_and_substitutes() -> None:
    command = 'curl -s -o out.html -H "Authorization: Bearer $KEY" http://api:8000/v1/<a> | jq .'
    args = localized(command, {"http://api:8000": "http://127.0.0.1:5", "<a>": "b"}, {"KEY": "k"})
    assert args == ["-s", "-H", "Authorization: Bearer k", "http://127.0.0.1:5/v1/b"]


def test_an_unknown_variable_is_an_error() -> None:
    with pytest.raises(KeyError):
        localized("curl -H 'X: $NOBODY_KNOWS' http://h/", {}, {})


API_CALLS = [
    pytest.param(command, id=f"{path.relative_to(ROOT)}:{i}")
    for path in documents()
    for i, command in enumerate(curl_commands(path.read_text()))
    if ":8000" in command
]


def test_the_docs_hold_api_calls() -> None:
    assert len(API_CALLS) >= 4  # README, runbooks (2), deploy/README (2)


@pytest.mark.parametrize("command", API_CALLS)
def test_documented_api_calls_are_versioned_and_send_a_key(command: str) -> None:
    url = next(
        arg
        for arg in localized(command, {}, {"KEY": "k", "API_METRICS_TOKEN": "m"})
        if ":8000" in arg
    )
    path = url.split(":8000", 1)[1]
    assert path.startswith("/v1/") or path == "/metrics", command
    assert "Authorization: Bearer" in command, command
