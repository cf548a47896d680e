"""The stack under test: the emulator (`python -m local aws`, started here), or a deployed
stack when E2E_OUTPUTS names a `cdk deploy --outputs-file` JSON file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, deployed_stack, emulated_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    outputs = os.environ.get("E2E_OUTPUTS")
    if outputs:
        yield deployed_stack(Path(outputs))
        return
    with emulated_stack(tmp_path_factory.mktemp("emulator")) as emulated:
        yield emulated
