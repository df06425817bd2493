"""Graded exercises for the labs: one module per week (``week01`` ...) on a shared core.

In a lab::

    from lendlab.course.exercises import ____          # the blank a learner replaces
    from lendlab.course.exercises import week01 as ex
    ex.bind(book=book)
    ex.q1.check(answer); ex.q1.hint(); ex.q1.solution()

See :mod:`lendlab.course.exercises.checks` for the Question/Week API that week modules use.
"""

from lendlab.course.exercises.checks import Blank, CheckFailed, Incorrect, Question, Week, ____

__all__ = ["____", "Blank", "CheckFailed", "Incorrect", "Question", "Week"]
