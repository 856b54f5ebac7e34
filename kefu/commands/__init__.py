"""Command groups of the ``kefu`` CLI, one module each."""
