"""`python -m longtail`: the same as the `longtail` command."""

from longtail.cli import main

main()
