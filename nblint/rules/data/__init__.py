"""NB3xx: reads and collects that pull whole datasets into the kernel."""
