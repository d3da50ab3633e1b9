"""Printers of graphs: as cg programs that read back, as LaTeX, as code."""
