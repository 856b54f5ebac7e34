"""Signed customer tokens."""

from __future__ import annotations

import stat
import time

import jwt
import pytest

from kefu.identity import ALGORITHM, get_secret, issue_token, verify_token


def test_round_trip_and_secret_file(var_dir):
    token = issue_token("C00042")
    assert verify_token(token) == "C00042"
    secret_file = var_dir / "secret.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert get_secret() == secret_file.read_text().strip().encode()


def test_secret_from_environment(var_dir, monkeypatch):
    monkeypatch.setenv("KEFU_TOKEN_SECRET", "x" * 32)
    token = issue_token("C1")
    assert not (var_dir / "secret.key").exists()
    monkeypatch.setenv("KEFU_TOKEN_SECRET", "y" * 32)
    assert verify_token(token) is None
    monkeypatch.setenv("KEFU_TOKEN_SECRET", "short")
    with pytest.raises(ValueError, match="at least 16"):
        get_secret()


def test_expired_tampered_and_foreign_tokens_are_anonymous(var_dir):
    secret = get_secret()
    now = int(time.time())
    expired = jwt.encode(
        {"sub": "C1", "iss": "kefu", "iat": now - 100, "exp": now - 10}, secret, algorithm=ALGORITHM
    )
    assert verify_token(expired) is None
    good = issue_token("C1")
    header, payload, signature = good.split(".")
    other = issue_token("C2").split(".")[1]
    assert verify_token(f"{header}.{other}.{signature}") is None
    assert (
        verify_token(issue_token("C1", secret=b"another-secret-of-someone-else-entirely")) is None
    )
    unsigned = jwt.encode(
        {"sub": "C1", "iss": "kefu", "iat": now, "exp": now + 60}, None, algorithm="none"
    )
    assert verify_token(unsigned) is None
    no_expiry = jwt.encode({"sub": "C1", "iss": "kefu", "iat": now}, secret, algorithm=ALGORITHM)
    assert verify_token(no_expiry) is None


@pytest.mark.parametrize("bad", [None, "", 42, ["a"], "not.a.token", "a" * 10000, "\x00"])
def test_garbage_is_anonymous(var_dir, bad):
    assert verify_token(bad) is None


@pytest.mark.parametrize(("customer", "ttl"), [("", 60), ("  ", 60), ("C" * 65, 60), ("C1", 0)])
def test_issue_rejects_bad_arguments(var_dir, customer, ttl):
    with pytest.raises(ValueError):
        issue_token(customer, ttl)


def test_bound_claims_round_trip_and_malformed_bindings_fail(var_dir):
    from kefu.identity import TokenClaims, verify_claims

    token = issue_token("C7", session_id="s" * 32, conversation_id="web-1")
    assert verify_claims(token) == TokenClaims("C7", "s" * 32, "web-1")
    assert verify_claims(issue_token("C7")) == TokenClaims("C7", None, None)
    now = int(time.time())
    for bad in ({"sid": 5}, {"cid": ""}, {"cid": ["web-1"]}):
        claims = {"sub": "C7", "iss": "kefu", "iat": now, "exp": now + 60, **bad}
        assert verify_claims(jwt.encode(claims, get_secret(), algorithm=ALGORITHM)) is None
    with pytest.raises(ValueError, match="cid"):
        issue_token("C7", conversation_id="")
