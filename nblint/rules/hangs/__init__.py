"""NB4xx: cells that hang the kernel or flood the browser."""
