"""The authorization code and state in the callback's URL never reach a log line, even the
development server's access log, which logs every request line with its query."""

import io
import logging

import pytest

CALLBACK = (
    "GET /settings/integrations/quickbooks/callback/?code=AB11SecretCodeValue"
    "&state=StateValue123&realmId=9341453050298375 HTTP/1.1"
)


@pytest.fixture
def output():
    """The stream of every handler on the access log and on the root logger."""
    stream = io.StringIO()
    handlers = [
        handler
        for handler in logging.getLogger("django.server").handlers + logging.getLogger().handlers
        if type(handler) is logging.StreamHandler  # ours; pytest adds capture handlers
    ]
    assert len(handlers) >= 2
    saved = [(handler, handler.setStream(stream)) for handler in handlers]
    root_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logging.getLogger().setLevel(root_level)
        for handler, previous in saved:
            handler.setStream(previous)


def test_the_access_log_of_the_callback_hides_code_and_state(output):
    # Exactly what django.core.servers.basehttp.WSGIRequestHandler.log_message logs.
    logging.getLogger("django.server").info(
        '"%s" %s %s', CALLBACK, "302", "0", extra={"server_time": "now", "status_code": 302}
    )
    line = output.getvalue()
    assert "/callback/?code=[redacted]&state=[redacted]&realmId=9341453050298375" in line
    assert "AB11SecretCodeValue" not in line and "StateValue123" not in line


@pytest.mark.parametrize(
    "text",
    [
        "refresh failed for refresh_token=RT1-abcdef",
        "POST body grant_type=authorization_code&code=AB11SecretCodeValue",
        "client_secret=distru-local-secret&x=1",
    ],
)
def test_any_logger_through_the_console_hides_oauth_values(output, text):
    logging.getLogger("anything.at.all").warning("seen: %s", text)
    line = output.getvalue()
    assert "[redacted]" in line
    for secret in ("RT1-abcdef", "AB11SecretCodeValue", "distru-local-secret"):
        assert secret not in line


def test_the_filter_leaves_a_malformed_record_to_logging():
    from distru_qbo.log_filters import RedactOAuthSecrets

    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%s %s", ("one",), None)
    assert RedactOAuthSecrets().filter(record) is True
    assert record.args == ("one",)


def test_a_qbo_error_code_in_a_log_line_is_kept(output):
    logging.getLogger("integrations.qbo").warning(
        "qbo GET item/1 status=400 error=QboValidationError code=6240"
    )
    assert "code=6240" in output.getvalue()
