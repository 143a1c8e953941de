"""NB1xx: allocations and results too big for the kernel's memory."""
