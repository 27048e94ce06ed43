"""Drive the sandbox's consent page as a person's browser would: read its form, submit it."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.fields: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action", "")
        elif tag in {"input", "button"}:
            kind = attrs.get("type", "submit" if tag == "button" else "text")
            if kind == "submit" and attrs.get("name"):
                self.buttons.append((attrs["name"], attrs.get("value", "")))
            elif attrs.get("name"):
                self.fields[attrs["name"]] = attrs.get("value", "")


def consent(authorize_url: str, *, approve: bool = True) -> str:
    """Open the consent page, press Connect (or Cancel), return where it redirects."""
    page = requests.get(authorize_url, timeout=10)
    page.raise_for_status()
    form = _FormParser()
    form.feed(page.text)
    wanted = ("connect", "approve", "allow") if approve else ("cancel", "deny")
    name, value = next((n, v) for n, v in form.buttons if any(w in (n + v).lower() for w in wanted))
    answer = requests.post(
        urljoin(authorize_url, form.action or authorize_url),
        data={**form.fields, name: value},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (302, 303), answer.text[:500]
    return answer.headers["Location"]


def callback_path_and_query(location: str) -> tuple[str, dict[str, str]]:
    """Split the redirect back to our callback into the path the test client can GET."""
    parts = urlsplit(location)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
