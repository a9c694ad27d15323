"""`python -m assess_xlsx` runs the command line, like the `assess-xlsx` command."""

from .cli import cli

if __name__ == "__main__":
    cli(prog_name="assess-xlsx")
