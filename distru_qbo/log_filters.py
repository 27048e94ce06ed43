"""Logging filters: OAuth secrets never reach a log line, whoever logs the URL."""

import logging
import re

# The OAuth callback's query (?code=…&state=…) is in every access-log line of the callback, and
# a token or secret may sit in a form body or URL logged elsewhere.
_SECRET_PARAMS = re.compile(
    r"\b(code|state|access_token|refresh_token|client_secret|token)=([^&\s\"']+)",
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
