"""``python -m fsmchat`` runs the CLI."""

from fsmchat.cli._main import main

if __name__ == "__main__":
    main()
