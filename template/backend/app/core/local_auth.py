"""Local sign-in without a Clerk account: a key pair of your own and tokens shaped like Clerk's.

Used by `make local-auth` / `make token` and by the tests. The public key carries
LOCAL_AUTH_KEY_MARKER, so settings refuse it anywhere but ENVIRONMENT=local.
"""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core.config import LOCAL_AUTH_KEY_MARKER

LOCAL_KEY_ID = "local-development"


@dataclass(frozen=True)
class LocalKeyPair:
    private_key: rsa.RSAPrivateKey
    key_id: str = LOCAL_KEY_ID

    @classmethod
    def generate(cls, key_id: str = LOCAL_KEY_ID) -> "LocalKeyPair":
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), key_id)

    @classmethod
    def from_pem(cls, pem: bytes, key_id: str = LOCAL_KEY_ID) -> "LocalKeyPair":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the local signing key must be an RSA key")
        return cls(key, key_id)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_pem(self, *, marked: bool = True) -> str:
        """The PEM that CLERK_JWT_KEY holds; marked so only a local service trusts it."""
        pem = (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return (
            f"{LOCAL_AUTH_KEY_MARKER}: trusted only with ENVIRONMENT=local\n{pem}"
            if marked
            else pem
        )

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(
            jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key())
        )
        return {**jwk, "kid": self.key_id, "alg": "RS256", "use": "sig"}

    def private_jwk(self) -> dict[str, Any]:
        """What the Supabase CLI's `signing_keys_path` file holds, so local Supabase trusts it."""
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key))
        return {
            **jwk,
            "kid": self.key_id,
            "alg": "RS256",
            "use": "sig",
            "key_ops": ["sign", "verify"],
        }

    def session_token(
        self,
        user_id: str,
        *,
        authorized_party: str | None = None,
        org: dict[str, str] | None = None,
        lifetime_seconds: int = 3600,
        **claims: Any,
    ) -> str:
        """A token shaped like a Clerk v2 session token with the Supabase `role` claim."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": user_id,
            "sid": f"sess_{uuid.uuid4().hex[:24]}",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_seconds,
            "v": 2,
            "role": "authenticated",
        }
        if authorized_party is not None:
            payload["azp"] = authorized_party
        if org is not None:
            payload["o"] = org
        payload.update(claims)
        return jwt.encode(
            payload, self.private_key, algorithm="RS256", headers={"kid": self.key_id}
        )
