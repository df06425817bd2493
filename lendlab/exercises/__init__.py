"""Graded exercises for the labs: one module per week (``week01`` ...) on a shared core.

In a lab::

    from lendlab.exercises import ____          # the blank a learner replaces
    from lendlab.exercises import week01 as ex
    ex.bind(book=book)
    ex.q1.check(answer); ex.q1.hint(); ex.q1.solution()

See :mod:`lendlab.exercises._core` for the Question/Week API that week modules use.
"""

from lendlab.exercises._core import Blank, CheckFailed, Incorrect, Question, Week, ____

__all__ = ["____", "Blank", "CheckFailed", "Incorrect", "Question", "Week"]
