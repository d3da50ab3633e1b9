"""Transforms of graphs into graphs: the derivative as a graph, and rewrites that simplify."""
