"""`nblint doctor`'s door to this machine: kernelspecs (jupyter_client), probes run by each kernel's own
interpreter in a subprocess with a timeout, and the NB8xx rules run over what they found."""
