"""Course tooling: graded exercises, per-week lab scenarios, authoring, the notebook runner, doctor.

Nothing in the rest of the package imports :mod:`lendlab.course`; it may use everything.
"""
