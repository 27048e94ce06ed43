"""Staff holding every model permission except the integration's: every admin page, action and
settings page answers them without an error, and none lets them do what that permission
guards (schedules, the queue, resubmitting, key and tax accounts, the account mirror, QBO
ids, or granting themselves more)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_q.models import OrmQ, Schedule, Success

from integrations.models import QboAccount, QboConnection, QboItem
from integrations.permissions import MANAGE_PERMISSION
from sales.models import Tax
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_broad_staff(client, broad_staff):
    client.force_login(broad_staff)
    return client


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_admin_page_answers_without_an_error(as_broad_staff, admin_objects):
    assert set(admin.site._registry) == set(admin_objects), "add the new model to admin_objects"
    answers = {}
    for model, obj in admin_objects.items():
        pages = [
            (admin_url(model, "changelist"), {}),
            (admin_url(model, "changelist"), {"q": "x"}),
            (admin_url(model, "add"), {}),
            (admin_url(model, "change", obj.pk), {}),
            (admin_url(model, "delete", obj.pk), {}),
            (admin_url(model, "history", obj.pk), {}),
        ]
        for url, query in pages:
            # The test client raises a view's exception rather than answering 500.
            answers[url + str(query)] = as_broad_staff.get(url, query).status_code
    assert {url: code for url, code in answers.items() if code not in (200, 302, 403)} == {}
    assert answers[admin_url(Schedule, "add") + "{}"] == 403
    assert answers[admin_url(QboAccount, "add") + "{}"] == 403


def test_every_admin_action_answers_without_an_error(as_broad_staff, broad_staff, admin_objects):
    request = RequestFactory().get("/admin/")
    request.user = broad_staff
    tried = []
    for model, obj in admin_objects.items():
        model_admin = admin.site._registry[model]
        for action in model_admin.get_actions(request):
            response = as_broad_staff.post(
                admin_url(model, "changelist"),
                {"action": action, "_selected_action": [obj.pk]},
            )
            assert response.status_code in (200, 302), (model, action)
            tried.append(f"{model._meta.model_name}.{action}")
    assert "product.bulk_update_qbo_items" in tried and "invoice.sync_to_quickbooks" in tried
    assert "success.resubmit_task" not in tried and "schedule.delete_selected" not in tried


def test_deleting_in_bulk_touches_nothing_the_integration_permission_guards(
    as_broad_staff, admin_objects, admin_user
):
    guarded = [Schedule, OrmQ, Success, QboAccount, QboConnection]
    for model in guarded:
        as_broad_staff.post(
            admin_url(model, "changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [admin_objects[model].pk],
                "post": "yes",
            },
        )
        assert model.objects.filter(pk=admin_objects[model].pk).exists(), model
    superuser = admin_user.__class__
    as_broad_staff.post(
        admin_url(superuser, "changelist"),
        {"action": "delete_selected", "_selected_action": [admin_user.pk], "post": "yes"},
    )
    assert superuser.objects.filter(pk=admin_user.pk).exists()


def test_resubmitting_a_task_is_refused(as_broad_staff, admin_objects, monkeypatch):
    resubmitted = []
    monkeypatch.setattr("django_q.admin.async_task", lambda func, *a, **k: resubmitted.append(func))
    task = admin_objects[Success]
    as_broad_staff.post(
        admin_url(Success, "changelist"),
        {"action": "resubmit_task", "_selected_action": [task.pk]},
    )
    assert resubmitted == []


def test_schedules_and_the_queue_refuse_every_write(as_broad_staff, admin_objects):
    schedule, queued = admin_objects[Schedule], admin_objects[OrmQ]
    writes = [
        (admin_url(Schedule, "add"), {"func": "integrations.tasks.changes_sync_task"}),
        (admin_url(Schedule, "change", schedule.pk), {"func": "subprocess.getoutput"}),
        (admin_url(Schedule, "delete", schedule.pk), {"post": "yes"}),
        (admin_url(OrmQ, "change", queued.pk), {"key": "elsewhere"}),
        (admin_url(OrmQ, "delete", queued.pk), {"post": "yes"}),
        (admin_url(Success, "delete", admin_objects[Success].pk), {"post": "yes"}),
    ]
    for url, data in writes:
        assert as_broad_staff.post(url, data).status_code == 403, url
    assert Schedule.objects.get(pk=schedule.pk).func == "integrations.tasks.changes_sync_task"
    assert OrmQ.objects.get(pk=queued.pk).key == "distru_qbo"


def test_key_accounts_tax_accounts_and_the_account_mirror_stay_as_they_were(
    as_broad_staff, admin_objects
):
    connection, account = admin_objects[QboConnection], admin_objects[QboAccount]
    bank = factories.QboAccountFactory(account_type="Bank")
    liability = factories.QboAccountFactory(account_type="Other Current Liability")
    tax = admin_objects[Tax]

    change = admin_url(QboConnection, "change", connection.pk)
    assert as_broad_staff.post(change, {"sales_deposit_account": bank.pk}).status_code == 403
    account_change = admin_url(QboAccount, "change", account.pk)
    assert as_broad_staff.post(account_change, {"qbo_id": bank.qbo_id}).status_code == 403
    as_broad_staff.post(
        admin_url(Tax, "change", tax.pk),
        {
            "name": tax.name,
            "rate": "15",
            "applies_to": "none",
            "active": "on",
            "qbo_account": liability.pk,
        },
    )
    assert (
        as_broad_staff.post(reverse("sales:taxes"), {f"tax_{tax.pk}": liability.pk}).status_code
        == 403
    )

    assert QboConnection.objects.get().sales_deposit_account is None
    assert QboAccount.objects.get(pk=account.pk).qbo_id == account.qbo_id
    assert Tax.objects.get(pk=tax.pk).qbo_account is None


@pytest.mark.parametrize("name", ["Distru Sales", "Excise Tax"])
def test_the_items_that_carry_key_and_tax_accounts_keep_their_accounts(
    as_broad_staff, admin_objects, name
):
    """Distru Sales is the Default Income account at work, a tax's item its tax account: its
    account is changed where those are chosen, never on the item."""
    income = factories.QboAccountFactory(name="Sales of Product Income")
    bank = factories.QboAccountFactory(name="Checking", account_type="Bank")
    item = factories.QboItemFactory(name=name, type="Service", income_account=income)
    Tax.objects.filter(pk=admin_objects[Tax].pk).update(
        qbo_item=item if name == "Excise Tax" else None
    )
    url = admin_url(QboItem, "change", item.pk)
    form = {"name": "Renamed", "type": "Service", "income_account": bank.pk, "description": "x"}

    assert as_broad_staff.post(url, form).status_code == 302  # the rest of the form was saved
    as_broad_staff.post(admin_url(QboItem, "delete", item.pk), {"post": "yes"})

    item.refresh_from_db()
    assert (item.name, item.active, item.income_account) == (name, True, income)
    assert item.description == "x"
    page = as_broad_staff.get(url).content.decode()
    says = {"Distru Sales": "on the Default Income account", "Excise Tax": "carries the tax"}
    assert says[name] in page


def test_no_one_grants_themselves_or_others_more_than_they_hold(
    as_broad_staff, broad_staff, admin_user, admin_objects
):
    """With auth's change permissions, staff could make themselves superuser, add the
    integration permission to their own group, or set a superuser's password."""
    user_model = broad_staff.__class__
    clerk, group = admin_objects[user_model], admin_objects[Group]
    group.user_set.add(broad_staff)
    manage = Permission.objects.get(codename="manage_qbo_integration")

    def user_form(user, **fields):
        joined = {"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
        return {"username": user.username, "is_active": "on", "is_staff": "on", **joined, **fields}

    grants = {"is_superuser": "on", "user_permissions": [manage.pk]}
    for user in (broad_staff, clerk):
        response = as_broad_staff.post(
            admin_url(user_model, "change", user.pk),
            user_form(user, first_name="Renamed", **grants),
        )
        assert response.status_code == 302  # the rest of the form was saved
    as_broad_staff.post(
        admin_url(Group, "change", group.pk), {"name": "Clerks+", "permissions": [manage.pk]}
    )
    password = admin_url(user_model, "password_change", admin_user.pk)
    taken_over = as_broad_staff.post(
        password, {"password1": "Take-0ver!x", "password2": "Take-0ver!x"}
    )

    for user in (broad_staff, clerk):
        user = user_model.objects.get(pk=user.pk)  # a fresh permission cache
        assert user.first_name == "Renamed"
        assert not user.is_superuser and not user.has_perm(MANAGE_PERMISSION)
    group.refresh_from_db()
    assert group.name == "Clerks+" and not group.permissions.exists()
    assert taken_over.status_code == 403
    admin_user.refresh_from_db()
    assert not admin_user.check_password("Take-0ver!x")


def settings_urls() -> list[str]:
    """Every URL under /settings/, from the URL configuration (none takes arguments)."""
    urls = []
    for prefix in get_resolver().url_patterns:
        if isinstance(prefix, URLResolver) and str(prefix.pattern).startswith("settings/"):
            for pattern in prefix.url_patterns:
                assert isinstance(pattern, URLPattern)
                urls.append(f"/{prefix.pattern}{pattern.pattern}")
    return urls


def test_every_settings_page_answers_and_refuses_every_write(as_broad_staff, admin_objects):
    connection = admin_objects[QboConnection]
    urls = settings_urls()
    assert "/settings/taxes/" in urls and "/settings/integrations/quickbooks/accounts/" in urls
    for url in urls:
        assert as_broad_staff.get(url).status_code in (200, 302, 403, 405), url
        assert as_broad_staff.post(url, {"refresh": "1"}).status_code in (403, 405), url
    connection.refresh_from_db()
    assert connection.status == QboConnection.Status.CONNECTED
    assert connection.refresh_token == "refresh-token-value"
