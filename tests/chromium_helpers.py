"""Headless Chromium for the tests that look at pages (the Neo4j Browser, the HTML report).

Debian's ``chromium`` and ``chromium-driver``, driven with Selenium; ``make test`` installs them. On
CI (``$CI`` set) a missing browser fails the test instead of skipping it. Only loopback resolves
inside the browser, so a page under test can reach nothing else.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def need_tool(tool: str) -> str:
    """The path of ``tool``; skip (fail on CI) when it is not installed."""
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} not found: install Debian's chromium and chromium-driver (`make test` does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextmanager
def headless_chromium(profile: Path, width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A Selenium Chrome driver on Debian's chromium, with its profile in ``profile``."""
    chromium, chromedriver = need_tool("chromium"), need_tool("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", f"--user-data-dir={profile}", "--no-proxy-server",
                "--allow-file-access-from-files", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def keep_artifact(path: Path) -> None:
    """Copy ``path`` to ``$MEDKG_TEST_ARTIFACTS`` when that is set."""
    if os.environ.get("MEDKG_TEST_ARTIFACTS"):
        folder = Path(os.environ["MEDKG_TEST_ARTIFACTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.name)
