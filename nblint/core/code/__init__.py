"""Reading the code cells: IPython magics masked, the cells joined and parsed once, names and constants."""
