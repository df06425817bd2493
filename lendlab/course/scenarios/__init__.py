"""Each week's lab world: the data, settings and incidents a learner works on (one module a week).

A lab imports its week as ``from lendlab.course.scenarios import week05 as scenario`` and calls
``scenario.vendor_incident(...)``; the exercise modules (:mod:`lendlab.course.exercises`) hold
only the questions. Every module has ``SETTINGS`` (what the lab's cells show) and
``build_context(*, seed, n)``, which rebuilds exactly what the lab binds to its checks (the
exercise tests use it with other seeds and small sizes).
"""
