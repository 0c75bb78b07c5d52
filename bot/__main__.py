"""`python -m bot` is `linli`."""

from bot.cli import main

main()
