"""Text to Graph: the grammar's LALR tables, the loop that runs them, the parser's
actions that build the graph, and syntax errors worded for people."""
