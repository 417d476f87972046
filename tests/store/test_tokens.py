"""API tokens (``cwdesk.store.tokens``): made once, stored as a digest, verified per purpose, revoked for good."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cwdesk.store import open_database
from cwdesk.store.tokens import SECRET_PREFIX, TokenError, Tokens, api_tokens, digest_of


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        db = open_database(f"sqlite:///{tmp_path / 'tokens.db'}")
        yield db
        db.dispose()
        return
    base_url = request.getfixturevalue("postgres_url")
    name = f"cwdesk_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db = open_database(base_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}"'))
        admin.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_new_token_has_a_recognisable_high_entropy_secret_shown_once(engine: sa.Engine) -> None:
    info, secret = Tokens(engine).create("claude-desktop", "api", "operator", "admin")
    assert secret.startswith(SECRET_PREFIX)
    assert len(secret) == len(SECRET_PREFIX) + 43  # token_urlsafe(32): 256 random bits
    assert (info.name, info.purpose, info.role, info.created_by) == ("claude-desktop", "api", "operator", "admin")
    assert info.active and info.last_used_at is None
    other = Tokens(engine).create("other", "api", "viewer", "admin")[1]
    assert other != secret


def test_a_token_s_info_never_carries_the_secret_nor_its_digest(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    info, secret = tokens.create("okta", "scim", "admin", "admin")
    shown = repr(info) + str(info.as_dict()) + repr(tokens.list()) + repr(tokens.verify(secret, "scim"))
    assert secret not in shown
    assert secret[len(SECRET_PREFIX) :][:12] not in shown
    assert digest_of(secret) not in shown


def test_only_the_digest_is_stored(engine: sa.Engine) -> None:
    _, secret = Tokens(engine).create("okta", "scim", "admin", "admin")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(api_tokens)).mappings().all()
    assert len(rows) == 1
    assert secret not in str(dict(rows[0]))
    assert rows[0]["token_digest"] == digest_of(secret)


def test_the_secret_is_nowhere_in_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "bytes.db"
    engine = open_database(f"sqlite:///{path}")
    tokens = Tokens(engine)
    secrets_made = [tokens.create(f"t{n}", "api", "viewer", "admin")[1] for n in range(5)]
    for secret in secrets_made:
        assert tokens.verify(secret, "api") is not None
    tokens.revoke("t0")
    engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("bytes.db"))
    assert b"t4" in stored  # (the file is the store: the names are there)
    for secret in secrets_made:
        assert secret.encode() not in stored
        assert secret[len(SECRET_PREFIX) :].encode() not in stored
        assert secret[len(SECRET_PREFIX) :][:16].encode() not in stored


def test_verify_accepts_the_secret_for_its_purpose_only(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    _, api = tokens.create("assistant", "api", "viewer", "admin")
    _, scim = tokens.create("okta", "scim", "admin", "admin")
    assert (found := tokens.verify(api, "api")) is not None and found.name == "assistant"
    assert (found := tokens.verify(scim, "scim")) is not None and found.name == "okta"
    assert tokens.verify(api, "scim") is None
    assert tokens.verify(scim, "api") is None


@pytest.mark.parametrize(
    "presented", ["", None, "cwd_", "cwd_not-a-token", "Bearer cwd_x", "x" * 500, "cwd_" + "a" * 300, "cwd_\x00"]
)
def test_verify_refuses_anything_that_is_not_a_token(engine: sa.Engine, presented: str | None) -> None:
    tokens = Tokens(engine)
    tokens.create("assistant", "api", "admin", "admin")
    assert tokens.verify(presented, "api") is None


def test_a_secret_one_character_off_is_refused(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    _, secret = tokens.create("assistant", "api", "admin", "admin")
    changed = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert tokens.verify(changed, "api") is None
    assert tokens.verify(secret + "x", "api") is None


def test_verify_notes_the_last_use_at_most_once_a_minute(engine: sa.Engine) -> None:
    clock = Clock()
    tokens = Tokens(engine, clock=clock)
    info, secret = tokens.create("assistant", "api", "viewer", "admin")
    assert info.last_used_at is None
    clock.now += timedelta(seconds=5)
    first = clock.now
    assert tokens.verify(secret, "api") is not None
    assert tokens.get(info.id).last_used_at == first
    clock.now += timedelta(seconds=30)
    assert tokens.verify(secret, "api") is not None
    assert tokens.get(info.id).last_used_at == first  # within the minute: not written again
    clock.now += timedelta(seconds=31)
    assert tokens.verify(secret, "api") is not None
    assert tokens.get(info.id).last_used_at == clock.now


def test_a_revoked_token_is_refused_at_once(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    info, secret = tokens.create("assistant", "api", "operator", "admin")
    revoked = tokens.revoke("assistant", revoked_by="admin2")
    assert revoked.id == info.id and revoked.revoked_at is not None and revoked.revoked_by == "admin2"
    assert not revoked.active
    assert tokens.verify(secret, "api") is None


def test_revoke_by_id_and_by_name(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    first, _ = tokens.create("one", "api", "viewer", "admin")
    tokens.create("two", "api", "viewer", "admin")
    assert tokens.revoke(first.id).name == "one"
    assert tokens.revoke(str(first.id + 1)).name == "two"
    assert all(not t.active for t in tokens.list())


def test_revoking_twice_or_an_unknown_token_says_so(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    info, _ = tokens.create("one", "api", "viewer", "admin")
    tokens.revoke(info.id)
    with pytest.raises(TokenError, match="already revoked"):
        tokens.revoke(info.id)
    with pytest.raises(TokenError, match="no token named 'one' that is not revoked"):
        tokens.revoke("one")
    with pytest.raises(TokenError, match="no token with id 999"):
        tokens.revoke(999)


def test_names_are_unique_among_tokens_not_revoked(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    tokens.create("okta", "scim", "admin", "admin")
    with pytest.raises(TokenError, match="already exists and is not revoked"):
        tokens.create("okta", "api", "viewer", "admin")
    tokens.revoke("okta")
    again, secret = tokens.create("okta", "scim", "admin", "admin")
    assert tokens.verify(secret, "scim") == tokens.get(again.id)
    assert [t.active for t in tokens.list("scim")] == [False, True]


def test_list_by_purpose_and_without_revoked(engine: sa.Engine) -> None:
    tokens = Tokens(engine)
    tokens.create("a", "api", "viewer", "admin")
    tokens.create("b", "scim", "admin", "admin")
    tokens.create("c", "api", "operator", "admin")
    tokens.revoke("a")
    assert [t.name for t in tokens.list()] == ["a", "b", "c"]
    assert [t.name for t in tokens.list("api")] == ["a", "c"]
    assert [t.name for t in tokens.list("api", include_revoked=False)] == ["c"]


@pytest.mark.parametrize(
    ("name", "purpose", "role", "message"),
    [
        ("", "api", "viewer", "Token name '' is not allowed"),
        ("has space", "api", "viewer", "is not allowed"),
        ("x" * 65, "api", "viewer", "1 to 64"),
        ("ok", "web", "viewer", "Unknown token purpose 'web': choose one of api, scim"),
        ("ok", "api", "root", "Unknown role 'root': choose one of viewer, operator, admin"),
    ],
)
def test_a_bad_name_purpose_or_role_is_refused_with_what_to_use(
    engine: sa.Engine, name: str, purpose: str, role: str, message: str
) -> None:
    with pytest.raises(TokenError, match=message.replace("(", r"\(")):
        Tokens(engine).create(name, purpose, role, "admin")
    assert Tokens(engine).list() == []


def test_verify_with_an_unknown_purpose_is_a_programming_error_that_says_so(engine: sa.Engine) -> None:
    with pytest.raises(TokenError, match="Unknown token purpose"):
        Tokens(engine).verify("cwd_x", "web")


def test_a_store_at_revision_0006_gets_the_token_table_and_0007_downgrades_cleanly(tmp_path: Path) -> None:
    from alembic import command

    from cwdesk.store import schema
    from cwdesk.store.database import create_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    with old.begin() as conn:
        command.upgrade(schema.alembic_config(conn), "0006")
        assert not sa.inspect(conn).has_table("api_tokens")
    old.dispose()
    (tmp_path / "old.db").chmod(0o600)  # (made here with the umask's mode; cwdesk refuses a file others can read)
    engine = open_database(url)  # upgraded at start to the head, 0007 or later
    _, secret = Tokens(engine).create("okta", "scim", "admin", "admin")
    assert Tokens(engine).verify(secret, "scim") is not None
    with engine.begin() as conn:
        indexes = {i["name"]: i for i in sa.inspect(conn).get_indexes("api_tokens")}
        assert indexes["ix_api_tokens_active_name"]["unique"]
        command.downgrade(schema.alembic_config(conn), "0006")
        assert not sa.inspect(conn).has_table("api_tokens")
    engine.dispose()
