"""Bearer JWT auth.

Tokens are HS256-signed with BETTER_AUTH_SECRET; their `sub` claim is the user id.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt

from .config import settings

ALGORITHM = "HS256"

# auto_error=False: answer 401 ourselves, the same way for a missing or a bad token.
_bearer = HTTPBearer(auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_user_id(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Return the user id of a valid Bearer token, or answer 401."""
    if credentials is None:
        raise _unauthorized("Not authenticated")
    try:
        claims = jwt.decode(
            credentials.credentials,
            settings.auth_secret,
            algorithms=[ALGORITHM],
            options={"require_exp": True, "require_sub": True},
        )
    except JWTError:
        raise _unauthorized("Invalid or expired token") from None
    user_id = claims["sub"]
    if not isinstance(user_id, str) or not user_id:
        raise _unauthorized("Invalid or expired token")
    return user_id


CurrentUserId = Annotated[str, Depends(current_user_id)]
