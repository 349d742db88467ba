"""Users, groups, passwords and API keys of the embedded Odoo.

Demo users follow a real Odoo demo database: the password equals the login. Each also has
a fixed, documented API key (40 hex chars) that works wherever the password does. Hashes,
never secrets, are stored; like Odoo's ormcache, a verified (uid, secret) pair is
remembered so that only the first call pays for the key derivation.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading

GROUP_NAMES = {
    "base.group_user": "User types/Internal User",
    "base.group_system": "Administration/Settings",
    "base.group_erp_manager": "Administration/Access Rights",
    "sales_team.group_sale_salesman": "Sales/User: All Documents",
    "account.group_account_readonly": "Accounting/Read-only",
    "account.group_account_invoice": "Accounting/Billing",
}

ADMIN_GROUPS = list(GROUP_NAMES)
DEMO_USERS = [
    # login, name, groups, company_id, company_ids
    ("admin", "Mitchell Admin", ADMIN_GROUPS, 1, [1, 2]),
    ("vendas", "Vendas Balcão", ["base.group_user", "sales_team.group_sale_salesman"], 1, [1]),
    ("financeiro", "Financeiro Casa & Obra",
     ["base.group_user", "account.group_account_readonly"], 1, [1, 2]),
]


def demo_api_key(login: str) -> str:
    """The documented demo API key of a demo user (not a secret: a demo database's)."""
    return hashlib.sha1(f"balcao-demo-apikey:{login}".encode()).hexdigest()


_ITERATIONS = 20_000


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _ITERATIONS)
    return f"pbkdf2-sha512${_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _scheme, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha512", password.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(candidate.hex(), digest)


def hash_api_key(key: str) -> str:
    """Keys are 160 random bits: a plain SHA-256 is enough (Odoo indexes the first 8 chars)."""
    return f"{key[:8]}${hashlib.sha256(key.encode()).hexdigest()}"


def check_api_key(key: str, stored: str | None) -> bool:
    return bool(stored) and hmac.compare_digest(hash_api_key(key), stored)


class CredentialCache:
    """Remembers verified (uid, secret) pairs, as Odoo's ``res.users.check`` ormcache does.

    ``stamp`` is the user's stored hashes: a changed password or key forgets the old pairs.
    """

    def __init__(self) -> None:
        self._ok: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    @staticmethod
    def _key(uid: int, secret: str, stamp: str) -> tuple[int, str]:
        return uid, hashlib.sha256(f"{stamp}\0{secret}".encode()).hexdigest()

    def known(self, uid: int, secret: str, stamp: str) -> bool:
        return self._key(uid, secret, stamp) in self._ok

    def remember(self, uid: int, secret: str, stamp: str) -> None:
        with self._lock:
            self._ok.add(self._key(uid, secret, stamp))

    def clear(self) -> None:
        with self._lock:
            self._ok.clear()
