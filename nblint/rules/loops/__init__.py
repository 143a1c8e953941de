"""NB2xx: loops and recursion that never end, and arithmetic that never finishes."""
