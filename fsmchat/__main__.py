"""``python -m fsmchat`` runs the CLI."""

from fsmchat.cli import main

if __name__ == "__main__":
    main()
