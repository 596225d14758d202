"""Helpers for testing hyperlab and code built on it: throwaway services and pytest glue.

Nothing here is imported by the library itself; it exists so that the test suite (and users who
test their own launchers or stores) can start real PostgreSQL and Slurm instances from the
binaries installed on the machine.
"""
