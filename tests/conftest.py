from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tensorflow():
    """TensorFlow imported once per test session, with one pinned thread."""
    from prunelab.runtime import import_tensorflow

    return import_tensorflow(1, False)
