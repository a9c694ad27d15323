"""Every command explains itself: help with an Example block, and --version."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from assess_xlsx import __version__
from assess_xlsx.cli import cli


def commands():
    return sorted(cli.commands)


def test_there_are_commands():
    assert {"scheme", "template", "check", "score"} <= set(commands())


@pytest.mark.parametrize("name", commands())
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"assess-xlsx {name}" in result.output.split("Example:", 1)[1]
    assert cli.commands[name].help.strip()


def test_group_help_and_version():
    runner = CliRunner()
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0 and "Example:" in result.output
    for name in commands():
        assert name in result.output
    result = runner.invoke(cli, ["--version"])
    assert (result.exit_code, result.output) == (0, f"assess-xlsx, version {__version__}\n")


def test_help_and_version_load_no_pandas_nor_readers():
    """`assess-xlsx --help` answers at once: the CLI module imports pandas and
    the readers only in the commands that use them (they took 0.4 s)."""
    code = ("import sys, assess_xlsx.cli; "
            "print(sorted(m for m in ('pandas', 'numpy', 'python_calamine', 'xlsxwriter') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
