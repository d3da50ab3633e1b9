"""Interpret a Graph: the forward and reverse loops over a domain of values (float64,
Fractions), one evaluation and its Result, kinks, diagnostics, --check and the
memory budget."""
