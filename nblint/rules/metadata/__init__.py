"""NB6xx: kernelspec and notebook-format metadata."""
