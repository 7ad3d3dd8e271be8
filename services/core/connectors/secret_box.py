"""Encryption at rest for connector secrets and pseudonym keys (Fernet, from `cryptography`).

Why encrypted, not hashed: a webhook signature is checked by recomputing an HMAC with the
shared secret, so ingest needs the secret itself; a hash would not do. Why Fernet: AES-128-CBC
with HMAC-SHA256 and a timestamp, authenticated, from a maintained library; a tampered or
foreign ciphertext fails to open instead of decrypting to garbage. The key comes from the
environment (`CONNECTORS_SECRETS_KEY`, see services/core/settings.py), never from the
database; several comma-separated keys allow rotation: the first encrypts, all decrypt.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class SecretBoxError(Exception):
    """No key is configured, a key is malformed, or a stored secret cannot be opened."""


class SecretBox:
    """Seals and opens small secrets with the configured key(s)."""

    def __init__(self, keys: SecretStr | None) -> None:
        text = keys.get_secret_value() if keys is not None else ""
        parts = [k.strip() for k in text.split(",") if k.strip()]
        if not parts:
            raise SecretBoxError("CONNECTORS_SECRETS_KEY is not set: connector secrets need it")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except ValueError as exc:
            raise SecretBoxError(f"CONNECTORS_SECRETS_KEY is not a Fernet key: {exc}") from None

    def seal(self, secret: bytes) -> str:
        """The ciphertext (URL-safe text) to store."""
        return self._fernet.encrypt(secret).decode()

    def open(self, sealed: str) -> bytes:
        """The secret back; `SecretBoxError` when the key does not fit or the text was changed."""
        try:
            return self._fernet.decrypt(sealed.encode())
        except InvalidToken:
            raise SecretBoxError(
                "a stored connector secret cannot be opened with this key"
            ) from None


def new_key() -> str:
    """A fresh key for `CONNECTORS_SECRETS_KEY`: `python -m services.core.connectors.secret_box`."""
    return Fernet.generate_key().decode()


if __name__ == "__main__":
    print(new_key())
