"""Land checks: read parcel files, check them against zone boundaries, keep a register.

Pure functions (no Flask): readers turn a file's bytes into parcels with their CRS, ``check``
measures them against zones on the CGCS2000 Gauss-Kruger plane, ``register`` stores the result.
"""
