"""Graph to Graph: the derivative (grad) and the rewrites (simplify), each a new Graph."""
