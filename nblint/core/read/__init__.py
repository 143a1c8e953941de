"""Reading a notebook file: JSON, conflict markers, the nbformat schema, and where each line sits in the file."""
