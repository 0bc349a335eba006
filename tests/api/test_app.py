"""The request pipeline's authentication, as real clients send their headers."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_auth_scheme_is_read_in_any_case(client: httpx.AsyncClient, scheme: str) -> None:
    """``Authorization: bearer <key>`` authenticates: HTTP auth schemes are case-insensitive."""
    headers = {"Topview-Uid": "uid-alice", "Authorization": f"{scheme} sk-live"}
    response = await client.get("/user/credit/detail", headers=headers)
    assert response.json()["code"] == "200", response.text


@pytest.mark.parametrize("value", ["Basic sk-live", "Bearer", "Bearer  sk-live", "Token sk-live"])
async def test_other_schemes_and_malformed_values_are_still_401(client: httpx.AsyncClient, value: str) -> None:
    """Only the scheme's case is loose: another scheme, no key, or two spaces answer 401."""
    response = await client.get("/user/credit/detail", headers={"Topview-Uid": "uid-alice", "Authorization": value})
    assert response.json()["code"] == "401", response.text
