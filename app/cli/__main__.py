"""``python -m app.cli``: the ``medkg`` command, as the installed script runs it (the watcher starts its workers so)."""

from app.cli import app

if __name__ == "__main__":
    app(prog_name="medkg")
