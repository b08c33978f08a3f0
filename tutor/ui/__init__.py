"""The Textual app (the only package that imports Textual).

Entry points: ``tutor.ui.app.run_app(args)`` (what ``backprop-tutor`` with no subcommand calls) and
``tutor.ui.app.create_app(...)`` (explicit options, for tests). Lab screens plug in through
``tutor.ui.lab_registry``. The plain-Python parts (``session``, ``grading``, ``trace_state``,
``recording``) hold the logic the screens use, so it can be tested without a terminal.
"""
