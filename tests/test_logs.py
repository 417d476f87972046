"""O1 structured logs: JSON on request, and secrets never reach a log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from cwdesk.logs import LogFormat, configure_logging, redact, register_secret


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging(log_format=LogFormat.json, level="info", stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_logs_carry_level_logger_message_and_extra_fields(log_stream: io.StringIO) -> None:
    logging.getLogger("cwdesk.test").info("synced %d members", 3, extra={"kind": "members", "job_id": 7})
    (entry,) = lines(log_stream)
    assert entry["level"] == "info"
    assert entry["logger"] == "cwdesk.test"
    assert entry["message"] == "synced 3 members"
    assert entry["kind"] == "members"
    assert entry["job_id"] == 7
    assert str(entry["ts"]).endswith("+00:00")


def test_registered_secrets_are_redacted_from_messages_arguments_and_extras(log_stream: io.StringIO) -> None:
    register_secret("pk-very-secret-value")
    log = logging.getLogger("cwdesk.test")
    log.warning("connecting with pk-very-secret-value")
    log.warning("key=%s", "pk-very-secret-value")
    log.warning("profile saved", extra={"profile": {"private_key": "other-secret", "server": "cw.example"}})
    text = log_stream.getvalue()
    assert "pk-very-secret-value" not in text
    assert "other-secret" not in text
    assert "cw.example" in text
    assert len(lines(log_stream)) == 3


def test_authorization_headers_and_secret_named_pairs_are_redacted() -> None:
    assert "YWNtZStwdWI6cHJpdg==" not in redact("Authorization: Basic YWNtZStwdWI6cHJpdg==")
    assert "abc.def.ghi123" not in redact("Authorization: Bearer abc.def.ghi123")
    assert "hunter22" not in redact('{"Password": "hunter22", "Username": "bob"}')
    assert "bob" in redact('{"Password": "hunter22", "Username": "bob"}')
    assert "xyz987" not in redact("https://cw.example/path?privateKey=xyz987&page=2")
    assert "page=2" in redact("https://cw.example/path?privateKey=xyz987&page=2")


def test_exceptions_are_logged_redacted(log_stream: io.StringIO) -> None:
    register_secret("tok-123456789")
    try:
        raise RuntimeError("failed with tok-123456789")
    except RuntimeError:
        logging.getLogger("cwdesk.test").exception("boom")
    (entry,) = lines(log_stream)
    assert "RuntimeError" in str(entry["exception"])
    assert "tok-123456789" not in log_stream.getvalue()


def test_configuring_twice_does_not_double_lines() -> None:
    stream = io.StringIO()
    configure_logging(log_format="text", level="info", stream=io.StringIO())
    handler = configure_logging(log_format="text", level="info", stream=stream)
    try:
        logging.getLogger("cwdesk.test").info("once")
        assert stream.getvalue().count("once") == 1
    finally:
        logging.getLogger().removeHandler(handler)


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown log level"):
        configure_logging(level="chatty", stream=io.StringIO())
