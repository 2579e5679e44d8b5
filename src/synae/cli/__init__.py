"""The ``synae`` command line (typer + rich). One module per command; :mod:`synae.cli.app` wires them."""
