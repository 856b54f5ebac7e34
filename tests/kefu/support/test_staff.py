"""Staff accounts, opening hours and the ``kefu staff`` command."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kefu.cli import main
from kefu.shop.queries.staff import get_staff, staff_by_email
from kefu.support.hours import parse_hours
from kefu.support.staff import (
    StaffExists,
    add_account,
    authenticate,
    ensure_first_admin,
    hash_password,
    verify_password,
)


def test_hashes_are_salted_scrypt_and_verify():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two and one.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse", one) and not verify_password("wrong horse", one)
    assert not verify_password("x" * 300, one) and not verify_password(None, one)
    with pytest.raises(ValueError):
        hash_password("short")


def test_accounts_sign_in_until_disabled(support_db, monkeypatch, capsys):
    info = add_account("Ann@Example.org", "Ann", "agent", "password-123", url=support_db)
    assert info.email == "ann@example.org"
    with pytest.raises(StaffExists):
        add_account("ann@example.org", "Ann", "agent", "password-123", url=support_db)
    assert authenticate("ANN@example.org", "password-123", url=support_db).id == info.id
    assert authenticate("ann@example.org", "password-124", url=support_db) is None
    assert authenticate("nobody@example.org", "password-123", url=support_db) is None
    assert main(["staff", "disable", "ann@example.org"]) == 0
    assert authenticate("ann@example.org", "password-123", url=support_db) is None
    assert get_staff(info.id, url=support_db).session_epoch == info.session_epoch + 1


def test_the_cli_adds_lists_and_disables(support_db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    assert main(["staff", "add", "bo@example.org", "--name", "Bo", "--role", "admin"]) == 0
    assert "added admin bo@example.org" in capsys.readouterr().out
    info, stored = staff_by_email("bo@example.org", url=support_db)
    assert verify_password("s3cret-pass", stored) and "s3cret" not in stored
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    assert main(["staff", "add", "bo@example.org", "--name", "Bo"]) == 1
    assert "exists already" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["staff", "add", "cy@example.org", "--name", "Cy"]) == 1
    assert "8 to 256" in capsys.readouterr().err
    assert main(["staff", "list"]) == 0
    out = capsys.readouterr().out
    assert "bo@example.org\tBo\tadmin\tactive" in out and "cy@" not in out
    assert main(["staff", "disable", "nobody@example.org"]) == 1
    assert main(["staff", "disable", "bo@example.org"]) == 0
    capsys.readouterr()
    main(["staff", "list"])
    assert "bo@example.org\tBo\tadmin\tdisabled" in capsys.readouterr().out


def test_the_staff_password_setting_creates_the_first_admin_once(support_db, monkeypatch):
    assert ensure_first_admin(url=support_db) is None
    monkeypatch.setenv("KEFU_STAFF_PASSWORD", "first-admin-pass")
    admin = ensure_first_admin(url=support_db)
    assert (admin.email, admin.role) == ("admin@localhost", "admin")
    assert ensure_first_admin(url=support_db).id == admin.id
    assert authenticate("admin@localhost", "first-admin-pass", url=support_db) is not None
    monkeypatch.setenv("KEFU_STAFF_PASSWORD", "changed-admin-pass")  # the setting wins
    assert ensure_first_admin(url=support_db).id == admin.id
    assert authenticate("admin@localhost", "first-admin-pass", url=support_db) is None
    assert authenticate("admin@localhost", "changed-admin-pass", url=support_db) is not None


def test_opening_hours_in_their_time_zone():
    hours = parse_hours("mon-fri 09:00-18:00; sat 10:00-16:00", "Asia/Shanghai")
    shanghai = ZoneInfo("Asia/Shanghai")
    assert hours.is_open(datetime(2026, 12, 2, 9, 0, tzinfo=shanghai))  # Wednesday
    assert not hours.is_open(datetime(2026, 12, 2, 18, 0, tzinfo=shanghai))
    assert hours.is_open(datetime(2026, 12, 5, 15, 59, tzinfo=shanghai))  # Saturday
    assert not hours.is_open(datetime(2026, 12, 6, 12, 0, tzinfo=shanghai))  # Sunday
    # 02:00 UTC on a Wednesday is 10:00 in Shanghai
    assert hours.is_open(datetime(2026, 12, 2, 2, 0, tzinfo=ZoneInfo("UTC")))
    assert parse_hours("", "UTC").is_open()
    for bad in ("mon-fri 9-18", "xyz 09:00-18:00", "mon 18:00-09:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)
    with pytest.raises(ValueError):
        parse_hours("mon 09:00-10:00", "Mars/Base")


def test_admins_hours_override_the_environment_until_reset(support_db, monkeypatch):
    from kefu.shop.queries.desk import desk_settings, save_desk_settings
    from kefu.support.hours import hours_spec, opening_hours

    monkeypatch.setenv("KEFU_SUPPORT_HOURS", "mon-fri 09:00-18:00")
    monkeypatch.setenv("KEFU_SUPPORT_TZ", "Asia/Shanghai")
    assert hours_spec(url=support_db) == ("mon-fri 09:00-18:00", "Asia/Shanghai")
    save_desk_settings({"opening_hours": "", "support_tz": "UTC"}, None, url=support_db)
    assert hours_spec(url=support_db) == ("", "UTC")
    assert opening_hours(url=support_db).is_open()  # empty: no fixed hours
    save_desk_settings({"opening_hours": "sat 10:00-11:00"}, None, url=support_db)
    monday_noon = datetime(2026, 3, 2, 12, 0)
    assert not opening_hours(url=support_db).is_open(monday_noon)
    with pytest.raises(ValueError, match="unknown settings"):
        save_desk_settings({"colour": "red"}, None, url=support_db)
    save_desk_settings({"opening_hours": None, "support_tz": None}, None, url=support_db)
    assert desk_settings(url=support_db) == {}
    assert hours_spec(url=support_db) == ("mon-fri 09:00-18:00", "Asia/Shanghai")
