"""Issue 9, item 8: sign-in and sign-up cannot be guessed, sprayed, raced or used as an oracle.

Every test goes through HTTP. "Checks" are counted in the password hasher itself (a counting
subclass of the test hasher), so a test asserts the work done, never the wall clock.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from fuwu.customers.models import Customer
from fuwu.portal.tests.helpers import give_account

User = get_user_model()
OFFICE = "203.0.113.7"  # one NAT address for a whole office


class CountingHasher(MD5PasswordHasher):
    """The tests' MD5 hasher, counting every hash it computes (a check hashes through encode)."""

    calls = 0
    lock = threading.Lock()

    def _count(self) -> None:
        with CountingHasher.lock:
            CountingHasher.calls += 1

    def encode(self, password: str, salt: str) -> str:
        self._count()
        return super().encode(password, salt)


@pytest.fixture
def hashes(settings: Any) -> Callable[[], int]:
    """Hashes computed since the last call (the fixture starts at zero)."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0

    def since_last() -> int:
        with CountingHasher.lock:
            n, CountingHasher.calls = CountingHasher.calls, 0
        return n

    return since_last


def client_at(address: str = OFFICE) -> Client:
    return Client(REMOTE_ADDR=address)


def staff_login(username: str, password: str, address: str = OFFICE) -> Any:
    return client_at(address).post("/login/", {"username": username, "password": password})


def portal_login(login: str, password: str, address: str = OFFICE) -> Any:
    return client_at(address).post("/portal/login/", {"login": login, "password": password})


def admin_login(username: str, password: str, address: str = OFFICE) -> Any:
    return client_at(address).post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
    )


def in_parallel(n: int, attempt: Callable[[int], Any]) -> list[Any]:
    """Run `attempt(i)` in n threads released together; each thread uses its own connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = attempt(i)
        except Exception as exc:  # reported by the assertions on the results
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# --- one identity, one office ----------------------------------------------------------------


@pytest.mark.django_db
def test_an_office_behind_one_address_keeps_working(world, hashes):
    # One person fails again and again, and five colleagues each mistype up to the limit...
    for _ in range(8):
        staff_login("agent", "wrong")
    for colleague in ("dispatcher", "technician", "finance", "security", "eng_manager"):
        for _ in range(5):
            assert staff_login(colleague, "wrong").status_code == 400
    # ...33 failures from one address: the rest of the office still signs in.
    assert staff_login("agent2", "pw-agent2").status_code == 302
    assert staff_login("sc_manager", "pw-sc_manager").status_code == 302
    assert portal_login("13812345678", "nope").status_code == 400  # the portal, too


@pytest.mark.django_db
def test_one_identity_is_locked_after_five_from_anywhere(world, hashes):
    for i in range(5):
        assert staff_login("agent", "wrong", address=f"198.51.100.{i}").status_code == 400
    assert hashes() == 5
    # Even the right password, from a fresh address, written in capitals, is refused unchecked.
    response = staff_login("AGENT", "pw-agent", address="192.0.2.99")
    assert response.status_code == 429 and "登录失败次数过多" in response.content.decode()
    response = staff_login("agent", "pw-agent", address="192.0.2.100")
    assert response.status_code == 429
    assert hashes() == 0


@pytest.mark.django_db
def test_the_lock_ends_after_its_window(world, hashes):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            staff_login("agent", "wrong")
        assert staff_login("agent", "pw-agent").status_code == 429
        clock.shift(timedelta(minutes=16))
        assert staff_login("agent", "pw-agent").status_code == 302
        # A success clears the count: five more mistakes are allowed before the next lock.
        for _ in range(4):
            assert staff_login("agent", "wrong").status_code == 400
        assert staff_login("agent", "pw-agent").status_code == 302


@pytest.mark.django_db
def test_one_address_spraying_many_names_meets_a_ceiling(world, settings, hashes):
    settings.FUWU_LOGIN_MAX_PER_ADDRESS = 12
    for i in range(12):
        assert staff_login(f"nobody{i}", "guess").status_code == 400
    assert hashes() == 12
    assert staff_login("nobody99", "guess").status_code == 429
    assert hashes() == 0
    # Other addresses, and the names sprayed at, are not locked by it.
    assert staff_login("agent", "pw-agent", address="192.0.2.1").status_code == 302


@pytest.mark.django_db
def test_the_admin_sign_in_has_the_same_limit(world, hashes):
    User.objects.create_superuser("root", "root@example.com", "Root-pass-77")
    hashes()
    for _ in range(5):
        response = admin_login("root", "wrong")
        assert response.status_code == 200 and "_auth_user_id" not in response.client.session
    assert hashes() == 5
    response = admin_login("root", "Root-pass-77")
    assert response.status_code == 200  # the form again, not the admin: refused
    assert "_auth_user_id" not in response.client.session
    assert "登录失败次数过多" in response.content.decode()  # says why, not "wrong password"
    assert hashes() == 0
    # The staff pages and the admin count the same identity.
    assert staff_login("root", "Root-pass-77").status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_address_is_counted(world, settings, hashes):
    settings.FUWU_LOGIN_MAX_PER_ADDRESS = 3
    settings.FUWU_TRUSTED_PROXY = True
    proxy = "10.0.0.1"

    def via_proxy(username: str, client: str, claimed: str = "") -> Any:
        forwarded = f"{claimed}, {client}" if claimed else client
        return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded).post(
            "/login/", {"username": username, "password": "guess"}
        )

    for i in range(3):
        assert via_proxy(f"nobody{i}", "198.51.100.9").status_code == 400
    # The sprayer is stopped, whatever it writes first in the header...
    assert via_proxy("nobody9", "198.51.100.9", claimed="192.0.2.77").status_code == 429
    # ...and everyone else behind the same proxy is not.
    assert via_proxy("nobody10", "198.51.100.10").status_code == 400


# --- the portal: phones however written, one hash whoever you are -----------------------------


SIX_WRITINGS = [
    "+86 138 1234 5678",
    "138-1234-5678",
    "１３８１２３４５６７８",  # full-width digits
    "0086 13812345678",
    "8613812345678",
    "(+86) 138-1234-5678",
]


@pytest.mark.django_db
def test_one_phone_written_six_ways_is_one_identity(world, hashes):
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    # Each writing signs in...
    for written in SIX_WRITINGS:
        response = portal_login(written, "Owner-pass-1")
        assert response.status_code == 302, written
    # ...and each writing's failure counts against the same number.
    for written in SIX_WRITINGS[:5]:
        assert portal_login(written, "wrong").status_code == 400
    response = portal_login(SIX_WRITINGS[5], "Owner-pass-1")
    assert response.status_code == 429 and "登录失败次数过多" in response.content.decode()
    assert portal_login("13812345678", "Owner-pass-1", address="192.0.2.5").status_code == 429


@pytest.mark.django_db
def test_unknown_and_known_phones_do_the_same_work_and_get_the_same_answer(world, hashes):
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    hashes()
    known = portal_login("13812345678", "wrong", address="192.0.2.1")
    known_work = hashes()
    unknown = portal_login("13900001111", "wrong", address="192.0.2.2")
    unknown_work = hashes()
    unknown_email = portal_login("nobody@example.com", "wrong", address="192.0.2.3")
    assert known_work == unknown_work == hashes() == 1
    for response in (known, unknown, unknown_email):
        assert response.status_code == 400
        assert "手机号/电子邮件或密码不正确" in response.content.decode()


@pytest.mark.django_db
def test_e_mail_sign_up_does_not_tell_who_is_registered(world, hashes):
    give_account(world.customers["owner"], "wang@example.com", "Owner-pass-1")
    answers = []
    for address in ("wang@example.com", "new.person@example.com"):
        client = client_at()
        hashes()
        response = client.post(
            "/portal/signup/",
            {
                "name": "赵敏",
                "login": address,
                "password": "Spring-rain-42",
                "site": str(world.sites["lanting"].pk),
                "language": "zh-hans",
            },
        )
        answers.append((response.status_code, response["Location"], hashes()))
        assert client.get("/portal/signup/verify/").status_code == 200
    assert answers[0] == answers[1] == (302, "/portal/signup/verify/", 2)
    assert [m.to for m in mail.outbox] == [["wang@example.com"], ["new.person@example.com"]]
    # Only the address that has no account got a code; the other one is told it has an account.
    assert not re.search(r"\b\d{6}\b", mail.outbox[0].body)
    assert re.search(r"\b\d{6}\b", mail.outbox[1].body)


@pytest.mark.django_db
def test_a_code_is_checked_five_times_at_most_then_dead(world, hashes):
    client = client_at()
    client.post(
        "/portal/signup/",
        {
            "name": "王芳",
            "login": "wang@example.com",
            "password": "Spring-rain-42",
            "site": str(world.sites["lanting"].pk),
            "language": "zh-hans",
        },
    )
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    hashes()
    for _ in range(5):
        assert client.post("/portal/signup/verify/", {"code": wrong}).status_code == 400
    response = client.post("/portal/signup/verify/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/portal/signup/"
    assert hashes() == 5
    assert Customer.objects.get(pk=world.customers["owner"].pk).user is None


@pytest.mark.django_db
def test_sign_up_attempts_per_address_meet_a_ceiling(world, settings):
    # A phone number in use must be refused (no SMS can verify it): enumeration is capped.
    settings.FUWU_LOGIN_MAX_PER_ADDRESS = 3
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    data = {
        "name": "赵敏",
        "password": "Spring-rain-42",
        "site": str(world.sites["lanting"].pk),
        "language": "zh-hans",
    }
    for phone in ("13812345678", "13900000001", "13900000002"):
        assert client_at().post("/portal/signup/", {**data, "login": phone}).status_code in (
            302,
            400,
        )
    response = client_at().post("/portal/signup/", {**data, "login": "13900000003"})
    assert response.status_code == 429 and "注册尝试次数过多" in response.content.decode()
    assert not User.objects.filter(username="13900000003").exists()
    other = Client(REMOTE_ADDR="192.0.2.50").post(
        "/portal/signup/", {**data, "login": "13900000003"}
    )
    assert other.status_code == 302


# --- passwords people choose -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "密码只包含数字"), ("en", "This password is entirely numeric")],
)
def test_12345678_is_refused_everywhere_a_person_sets_a_password(world, language, message):
    staff = client_at()
    staff.post("/login/", {"username": "agent", "password": "pw-agent"})
    staff.post("/language/", {"language": language})
    response = staff.post(
        "/password/",
        {"old_password": "pw-agent", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 400 and message in response.content.decode()

    portal = client_at()
    portal.post("/language/", {"language": language})
    response = portal.post(
        "/portal/signup/",
        {
            "name": "赵敏",
            "login": "13700001111",
            "password": "12345678",
            "site": str(world.sites["lanting"].pk),
            "language": language,
        },
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not User.objects.filter(username="13700001111").exists()

    User.objects.create_superuser("root", "root@example.com", "Root-pass-77")
    admin = client_at()
    admin.post("/login/", {"username": "root", "password": "Root-pass-77"})
    admin.post("/language/", {"language": language})
    agent = User.objects.get(username="agent")
    response = admin.post(
        f"/admin/auth/user/{agent.pk}/password/",
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )
    assert response.status_code == 200 and message in response.content.decode()
    agent.refresh_from_db()
    assert agent.check_password("pw-agent")


# --- parallel attempts: counted before they are checked ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_get_five_checks(world, hashes):
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite serialises them anyway)")
    hashes()
    results = in_parallel(10, lambda i: staff_login("agent", "wrong", address=f"10.0.0.{i}"))
    codes = sorted(r.status_code for r in results)
    assert codes == [400] * 5 + [429] * 5, results
    assert hashes() == 5
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    hashes()
    results = in_parallel(8, lambda i: portal_login(SIX_WRITINGS[i % 6], "wrong"))
    assert sorted(r.status_code for r in results) == [400] * 5 + [429] * 3, results
    assert hashes() == 5


@pytest.mark.django_db(transaction=True)
def test_eight_parallel_code_guesses_get_five_checks(world, hashes):
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (SQLite serialises them anyway)")
    client = client_at()
    client.post(
        "/portal/signup/",
        {
            "name": "王芳",
            "login": "wang@example.com",
            "password": "Spring-rain-42",
            "site": str(world.sites["lanting"].pk),
            "language": "zh-hans",
        },
    )
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    session = client.cookies["sessionid"].value
    hashes()

    def guess(i: int) -> Any:
        guesser = client_at()
        guesser.cookies["sessionid"] = session  # the same session, eight requests at once
        return guesser.post(
            "/portal/signup/verify/", {"code": f"{(int(code) + i + 1) % 10**6:06d}"}
        )

    results = in_parallel(8, guess)
    assert all(r.status_code in (302, 400) for r in results), results
    assert hashes() == 5
    # The code is dead now: even the right one creates nothing.
    client.post("/portal/signup/verify/", {"code": code})
    assert Customer.objects.get(pk=world.customers["owner"].pk).user is None
