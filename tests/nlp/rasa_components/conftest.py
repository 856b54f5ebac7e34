"""Rasa plumbing for component tests: a real local model storage and execution context."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage


@pytest.fixture
def model_storage(tmp_path):
    (tmp_path / "storage").mkdir()
    return LocalModelStorage.create(tmp_path / "storage")


@pytest.fixture
def context():
    return ExecutionContext(GraphSchema({}), "test-model", node_name="component")
