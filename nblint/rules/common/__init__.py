"""Helpers shared by rules of several families."""
