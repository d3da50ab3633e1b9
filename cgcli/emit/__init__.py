"""Graphs written as text for people and programs: cg's language, LaTeX, code."""
