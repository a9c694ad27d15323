"""`python -m assess_xlsx` runs the command line, like the `assess-xlsx` command."""

from .cli import main

if __name__ == "__main__":
    main()
