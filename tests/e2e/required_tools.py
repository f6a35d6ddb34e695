"""Optional command-line tools of the end-to-end tests.

A test that needs a tool calls require_tool(). When the tool is missing the
test is skipped with the Debian package that provides it, or fails when
P2POOL_REQUIRE_TOOLS=1 (CI sets it, so nothing is silently skipped there).
"""

import os
import shutil

import pytest


def require_tool(command, package):
    """Return the path of command, or skip (fail under P2POOL_REQUIRE_TOOLS=1)
    the test when it is not installed."""
    path = shutil.which(command)
    if path is not None:
        return path
    message = "%s not found: apt-get install %s" % (command, package)
    if os.environ.get("P2POOL_REQUIRE_TOOLS", "") not in ("", "0"):
        pytest.fail(message + " (P2POOL_REQUIRE_TOOLS is set)")
    pytest.skip(message)
