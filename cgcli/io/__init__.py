"""Where programs, values and points come from and where output goes: bindings,
files of values, batch files, and the output streams."""
