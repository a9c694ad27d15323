import pytest

from assess_xlsx.scheme import read_scheme


@pytest.fixture(scope="session")
def scheme():
    """The embedded 2022 scheme, read once."""
    return read_scheme()
