"""Interpret a Graph: the forward and reverse passes and their Result, exact
arithmetic, kinks, diagnostics, --check and the memory budget."""
