"""What every admin page needs to know of QuickBooks: whether pushes wait for a reconnect."""

from django.utils.functional import SimpleLazyObject

from integrations.models import QboConnection


def quickbooks_banner(request) -> dict:
    """`qbo_banner`: the connection while it is expired or paused (pushes wait), else None.

    Lazy and kept on the request: a page that never shows the banner costs no query, and one
    that shows it costs one however often it is rendered.
    """
    return {"qbo_banner": SimpleLazyObject(lambda: _expired_connection(request))}


def _expired_connection(request) -> QboConnection | None:
    if not hasattr(request, "_qbo_banner"):
        request._qbo_banner = (
            QboConnection.objects.filter(
                id=QboConnection.SINGLETON_ID, status=QboConnection.Status.EXPIRED
            )
            .only("status", "status_reason")
            .first()
        )
    return request._qbo_banner
