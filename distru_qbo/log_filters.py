"""Logging filters: OAuth secrets never reach a log line, whoever logs the URL."""

import logging
import re

# The OAuth callback's query (?code=…&state=…) is in every access-log line of the callback, and
# a token or secret may sit in a form body or URL logged elsewhere.
# `code`, `state` and `token` count only as URL or form parameters (after ? or &), so that
# "code=6240" in a QBO fault's log line keeps its meaning.
_SECRET_PARAMS = re.compile(
    r"((?<=[?&])(?:code|state|token)|\b(?:access_token|refresh_token|client_secret))"
    r"=([^&\s\"']+)",
    re.IGNORECASE,
)


class RedactOAuthSecrets(logging.Filter):
    """Rewrite a record's message with the values of OAuth parameters replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report, not ours
            return True
        redacted = _SECRET_PARAMS.sub(r"\1=[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
