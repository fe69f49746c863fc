"""``python -m bot.cli``: the same as the ``chibo`` console script."""

from bot.cli.app import main

main()
