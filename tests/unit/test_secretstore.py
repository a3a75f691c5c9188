"""The Fernet credential box: keys from env/file references, no plain-text fallback, rotation, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from inframind.secrets import SecretRef
from inframind.secretstore import NoKeyError, SecretBox, SecretStoreError, generate_key, load_keys

CREDENTIAL = {"username": "monitor", "password": "p@ss"}


def test_seal_and_open_with_a_key_from_env() -> None:
    key = generate_key()
    box = SecretBox.from_refs([SecretRef("env", "K")], env={"K": key})
    sealed = box.seal(CREDENTIAL)
    assert "p@ss" not in sealed and box.available
    assert box.open(sealed) == CREDENTIAL
    assert Fernet(key.encode()).decrypt(sealed.encode()) == b'{"password":"p@ss","username":"monitor"}'


def test_without_a_key_nothing_is_stored() -> None:
    box = SecretBox.from_refs([SecretRef("env", "UNSET_KEY")], env={})
    assert not box.available
    with pytest.raises(NoKeyError, match="never kept in plain text"):
        box.seal(CREDENTIAL)


def test_keys_from_a_file_first_encrypts_all_decrypt_and_rotation(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    sealed_old = SecretBox([old.encode()]).seal(CREDENTIAL)
    (tmp_path / "keys").write_text(f"{new}\n{old}\n")
    box = SecretBox.from_refs([SecretRef("file", str(tmp_path / "keys"))])
    assert box.open(sealed_old) == CREDENTIAL and not box.sealed_with_primary(sealed_old)
    rotated = box.rotate(sealed_old)
    assert box.sealed_with_primary(rotated) and SecretBox([new.encode()]).open(rotated) == CREDENTIAL
    assert box.sealed_with_primary(box.seal(CREDENTIAL))


def test_errors_name_the_reference_never_the_key() -> None:
    with pytest.raises(SecretStoreError, match="key 1 in env:K is not a Fernet key") as raised:
        load_keys([SecretRef("env", "K")], env={"K": "short-not-a-key"})
    assert "short-not-a-key" not in str(raised.value)
    other = SecretBox([generate_key().encode()])
    with pytest.raises(SecretStoreError, match="cannot be decrypted"):
        other.open(SecretBox([generate_key().encode()]).seal(CREDENTIAL))
    with pytest.raises(SecretStoreError, match="not a mapping"):
        key = generate_key()
        SecretBox([key.encode()]).open(Fernet(key.encode()).encrypt(b"[1]").decode())
