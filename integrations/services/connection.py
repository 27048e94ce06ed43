"""The QBO connection: OAuth connect, the token lifecycle, and the client the services share."""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from integrations.models import QboConnection, SyncJob
from integrations.outbox.errors import ConnectionPaused
from integrations.qbo import oauth
from integrations.qbo.client import QboClient
from integrations.qbo.config import QboConfig
from integrations.qbo.errors import OAuthInvalidGrantError, QboAuthenticationError, QboError
from integrations.qbo.ratelimit import NullRateLimiter, RateLimiter, rate_limiter_from_url
from integrations.services.problems import reconnect_problem_close, reconnect_problem_open

logger = logging.getLogger(__name__)

# Refresh this long before the access token's expiry, so a call never starts on a dying token.
REFRESH_MARGIN = timedelta(minutes=5)
OAUTH_STATE_SESSION_KEY = "qbo_oauth_state"
OAUTH_STATE_MAX_AGE = timedelta(minutes=10)
COMPANY_NAME_CHARS = QboConnection._meta.get_field("company_name").max_length


class QboNotConnectedError(ConnectionPaused):
    """There is no usable connection: the user must connect or reconnect to QuickBooks."""


class QboCompanyMismatchError(Exception):
    """The user signed in to a different QBO company than the one already linked."""


class OAuthStateError(Exception):
    """The OAuth callback's state does not match the one this session started with."""


class QboConnectError(Exception):
    """Connecting failed after the code exchange; nothing was kept. The message says why."""


def qbo_config() -> QboConfig:
    """The transport configuration, read from settings when called (never at import time)."""
    return QboConfig(
        client_id=settings.QBO_CLIENT_ID,
        client_secret=settings.QBO_CLIENT_SECRET,
        redirect_uri=settings.QBO_REDIRECT_URI,
        authorize_url=settings.QBO_AUTHORIZE_URL,
        token_url=settings.QBO_TOKEN_URL,
        revoke_url=settings.QBO_REVOKE_URL,
        api_base_url=settings.QBO_API_BASE_URL,
        minor_version=settings.QBO_MINOR_VERSION,
        timeout=settings.QBO_REQUEST_TIMEOUT,
        deadline=settings.QBO_REQUEST_DEADLINE,
        max_response_bytes=settings.QBO_MAX_RESPONSE_BYTES,
    )


def connection_get() -> QboConnection:
    """The one connection row, made disconnected on first use; expired once its tokens are
    unreadable, since only a reconnect brings usable ones back."""
    connection, _ = QboConnection.objects.get_or_create(id=QboConnection.SINGLETON_ID)
    if connection.status == QboConnection.Status.CONNECTED and connection.tokens_unreadable:
        logger.warning(
            "The stored QuickBooks tokens cannot be decrypted with QBO_TOKEN_KEYS (the key "
            "changed without a rotation): the connection is expired until someone reconnects"
        )
        connection_mark_expired()
        connection.refresh_from_db()
    return connection


class ConnectionTokenProvider:
    """Hands the client a live access token, refreshing it under the connection's row lock."""

    def access_token(self) -> str:
        connection = connection_get()
        if connection.status != QboConnection.Status.CONNECTED:
            raise QboNotConnectedError("QuickBooks is not connected. Reconnect to QuickBooks.")
        if _expiring(connection):
            return connection_refresh_tokens(rejected_token=connection.access_token)
        return connection.access_token

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        return connection_refresh_tokens(rejected_token=rejected_token, force=True)


def qbo_client() -> QboClient:
    """A client for the connected company, with the shared cross-process rate limiter."""
    connection = connection_get()
    if connection.status != QboConnection.Status.CONNECTED or not connection.realm_id:
        raise QboNotConnectedError("QuickBooks is not connected. Reconnect to QuickBooks.")
    return QboClient(
        qbo_config(), connection.realm_id, ConnectionTokenProvider(), limiter=_rate_limiter()
    )


def _rate_limiter() -> RateLimiter:
    if not settings.QBO_RATE_LIMIT:
        return NullRateLimiter()
    return rate_limiter_from_url(
        settings.REDIS_URL or None, str(settings.BASE_DIR / "var" / "ratelimit")
    )


def oauth_start(*, session) -> str:
    """Bind a fresh single-use state to the browser session and return Intuit's consent URL."""
    state = secrets.token_urlsafe(32)
    session[OAUTH_STATE_SESSION_KEY] = {"value": state, "issued": timezone.now().timestamp()}
    return oauth.authorization_url(qbo_config(), state)


def oauth_check_state(*, session, state: str | None) -> None:
    """Accept the callback's state once: it must match, and be fresh, for this session."""
    expected = session.pop(OAUTH_STATE_SESSION_KEY, None)
    if not expected or not state or not secrets.compare_digest(expected["value"], state):
        raise OAuthStateError("The QuickBooks sign-in could not be verified. Please connect again.")
    age = timezone.now().timestamp() - expected["issued"]
    if age > OAUTH_STATE_MAX_AGE.total_seconds():
        raise OAuthStateError("The QuickBooks sign-in took too long. Please connect again.")


def connection_connect(*, code: str, realm_id: str) -> QboConnection:
    """Exchange the code, read the company with the new token, and only then store it all.

    All or nothing: when anything after the exchange fails, the fresh grant is revoked (best
    effort) and nothing here changes, so a bad `realmId` can never be stored. A grant this one
    replaces is revoked once the new one is committed.
    """
    _refuse_another_company(realm_id)
    config = qbo_config()
    tokens = oauth.exchange_code(config, code)
    try:
        company_name = _company_name_read(config, realm_id, tokens.access_token)
        now = timezone.now()
        with transaction.atomic():
            connection = QboConnection.objects.select_for_update().get_or_create(
                id=QboConnection.SINGLETON_ID
            )[0]
            _refuse_another_company(realm_id, linked=connection)
            replaced = connection.refresh_token
            connection.realm_id = realm_id
            connection.company_name = company_name
            connection.environment = settings.QBO_ENVIRONMENT
            connection.status = QboConnection.Status.CONNECTED
            connection.status_reason = ""
            connection.connected_at = now
            _store_tokens(connection, tokens, now)
            connection.save()
            reconnect_problem_close()
            _resume_paused_pushes()
            if replaced and replaced != tokens.refresh_token:
                transaction.on_commit(lambda: _revoke_quietly(config, replaced, "replaced"))
    except BaseException:
        # Intuit may hand out the refresh token already stored: that one stays.
        if tokens.refresh_token != connection_get().refresh_token:
            _revoke_quietly(config, tokens.refresh_token, "unused")
        raise
    logger.info("Connected to QuickBooks realm %s", realm_id)
    return connection


def company_name_from(info: dict) -> str:
    """The company's name from its CompanyInfo, cut to fit: QBO allows 1024 characters."""
    name = info.get("CompanyName") or info.get("LegalName") or ""
    name = " ".join(name.replace("\x00", "").split()) if isinstance(name, str) else ""
    if len(name) > COMPANY_NAME_CHARS:
        name = name[: COMPANY_NAME_CHARS - 1] + "…"
    return name


def _refuse_another_company(realm_id: str, *, linked: QboConnection | None = None) -> None:
    linked = linked or connection_get()
    if linked.realm_id and linked.realm_id != realm_id:
        # Ids of accounts, items and pushed documents belong to one company; mixing two
        # companies' ids would post to the wrong books.
        raise QboCompanyMismatchError(
            f"Sign in to the QuickBooks company {linked.company_name} (realm "
            f"{linked.realm_id}) to reconnect: this Distru is linked to it, not to realm "
            f"{realm_id}."
        )


def _company_name_read(config: QboConfig, realm_id: str, access_token: str) -> str:
    """Read CompanyInfo of `realm_id` with the token just issued; a refusal is the user's to fix."""
    client = QboClient(config, realm_id, _JustIssuedToken(access_token), limiter=_rate_limiter())
    try:
        return company_name_from(client.company_info())
    except QboError as exc:
        raise QboConnectError(
            "Connect again, and choose the company in QuickBooks' sign-in page: the new "
            f"sign-in could not read QuickBooks company {realm_id} ({exc}). Nothing was saved."
        ) from exc


class _JustIssuedToken:
    """The access token from the code exchange: too new to refresh, so a 401 is final."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        raise QboAuthenticationError("QuickBooks refused the access token it had just issued")


def _revoke_quietly(config: QboConfig, refresh_token: str, which: str) -> None:
    """Revoke a grant at Intuit, best effort: a failure is logged, never raised."""
    try:
        oauth.revoke_token(config, refresh_token)
    except Exception:  # noqa: BLE001 - what matters here has already been decided
        logger.warning("Revoking the %s QuickBooks grant failed; it lapses on its own", which)
    else:
        logger.info("Revoked the %s QuickBooks grant", which)


def connection_refresh_tokens(*, rejected_token: str | None = None, force: bool = False) -> str:
    """Refresh the tokens at most once across every worker, and return a live access token.

    Unsafe by design in one respect: Intuit's token endpoint is called while the row lock is
    held. That is the point: refresh tokens roll with no grace period, so a second worker must
    wait for the first and then use its new token instead of refreshing again.
    """
    with transaction.atomic():
        connection = QboConnection.objects.select_for_update().get()
        if connection.status != QboConnection.Status.CONNECTED:
            raise QboNotConnectedError("QuickBooks is not connected. Reconnect to QuickBooks.")
        # A refresh token no key decrypts is as dead as one Intuit refuses.
        expired = connection.tokens_unreadable
        if not expired:
            already_refreshed = (
                rejected_token is not None and connection.access_token != rejected_token
            )
            if already_refreshed or not (force or _expiring(connection)):
                return connection.access_token
            try:
                tokens = oauth.refresh_tokens(qbo_config(), connection.refresh_token)
            except OAuthInvalidGrantError:
                expired = True
            else:
                _store_tokens(connection, tokens, timezone.now())
                connection.save(update_fields=_TOKEN_FIELDS)
                logger.info("Refreshed the QuickBooks tokens for realm %s", connection.realm_id)
                return connection.access_token
    if expired:
        connection_mark_expired()
    raise QboNotConnectedError(
        "QuickBooks refused the saved sign-in (it was revoked or is too old). "
        "Reconnect to QuickBooks."
    )


@transaction.atomic
def connection_mark_expired() -> None:
    """The refresh token is dead: keep the company, settings and waiting pushes; drop tokens."""
    SyncJob.objects.filter(status=SyncJob.Status.PENDING).update(
        status=SyncJob.Status.PAUSED, updated_at=timezone.now()
    )
    QboConnection.objects.filter(id=QboConnection.SINGLETON_ID).update(
        status=QboConnection.Status.EXPIRED,
        status_reason="",
        access_token="",
        refresh_token="",
        access_token_expires_at=None,
        refresh_token_expires_at=None,
        updated_at=timezone.now(),
    )
    reconnect_problem_open()
    logger.warning("The QuickBooks connection expired: the user must reconnect")


@transaction.atomic
def connection_pause(*, reason: str) -> None:
    """QuickBooks refuses the connection itself: every push waits, paused, for a reconnect.

    The tokens are kept (they still work, and Disconnect revokes them); `reason` says on the
    QuickBooks page what to do before reconnecting.
    """
    paused = QboConnection.objects.filter(
        id=QboConnection.SINGLETON_ID, status=QboConnection.Status.CONNECTED
    ).update(status=QboConnection.Status.EXPIRED, status_reason=reason, updated_at=timezone.now())
    if paused:
        SyncJob.objects.filter(status=SyncJob.Status.PENDING).update(
            status=SyncJob.Status.PAUSED, updated_at=timezone.now()
        )
        reconnect_problem_open(reason=reason)
        logger.warning("QuickBooks refused the connection; pushes are paused: %s", reason)


def connection_disconnect() -> QboConnection:
    """Revoke the tokens at Intuit (best effort) and wipe them here."""
    connection = connection_get()
    token = connection.refresh_token or connection.access_token
    if token:
        # The local wipe happens even if Intuit is down.
        _revoke_quietly(qbo_config(), token, "disconnected")
    connection.status = QboConnection.Status.DISCONNECTED
    connection.status_reason = ""
    connection.access_token = ""
    connection.refresh_token = ""
    connection.access_token_expires_at = None
    connection.refresh_token_expires_at = None
    connection.save()
    logger.info("Disconnected from QuickBooks realm %s", connection.realm_id)
    return connection


def _resume_paused_pushes() -> None:
    """After a reconnect, whatever waited is due again; the sweeper is kicked at once."""
    resumed = SyncJob.objects.filter(status=SyncJob.Status.PAUSED).update(
        status=SyncJob.Status.PENDING, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    if resumed:
        transaction.on_commit(
            lambda: async_task("integrations.tasks.sync_jobs_drain_task", task_name="qbo-drain")
        )


_TOKEN_FIELDS = [
    "access_token",
    "access_token_expires_at",
    "refresh_token",
    "refresh_token_expires_at",
    "updated_at",
]


def _store_tokens(connection: QboConnection, tokens: oauth.TokenSet, now) -> None:
    connection.access_token = tokens.access_token
    connection.access_token_expires_at = now + timedelta(seconds=tokens.expires_in)
    connection.refresh_token = tokens.refresh_token
    connection.refresh_token_expires_at = (
        now + timedelta(seconds=tokens.refresh_token_expires_in)
        if tokens.refresh_token_expires_in
        else None
    )


def _expiring(connection: QboConnection) -> bool:
    expires_at = connection.access_token_expires_at
    return expires_at is None or expires_at - REFRESH_MARGIN <= timezone.now()
