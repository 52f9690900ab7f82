"""The gateway serves the built UI: the app at every page address, assets cached for good."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web.conftest import Platform

pytestmark = pytest.mark.slow


def test_every_page_address_gets_the_app_and_assets_are_cached_for_good(platform: Platform) -> None:
    with httpx.Client(base_url=platform.url) as http:
        home = http.get("/")
        assert home.status_code == 200 and '<div id="root">' in home.text
        assert home.headers["cache-control"] == "no-cache"
        deep = http.get("/runs/0123abcd")  # a page of the app, not a file: the app routes it
        assert deep.status_code == 200 and deep.text == home.text
        script = re.search(r'src="(/assets/[^"]+\.js)"', home.text)
        assert script, home.text
        asset = http.get(script.group(1))
        assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
        assert "immutable" in asset.headers["cache-control"]
        missing = http.get("/api/no-such-route")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
