"""The one triage taxonomy: order of the headings, the AUC rule, bad input."""

import pytest

from lendlab.response import AUC_DROP_RULE, TRIAGE_CLASSES, TRIAGE_QUESTIONS, triage


def test_broken_inputs_come_first_even_when_auc_fell():
    got = triage(inputs_broken=True, borrowers_changed=True, auc_signoff=0.7, auc_now=0.5)
    assert got == "data"


def test_changed_borrowers_before_model():
    assert triage(inputs_broken=False, borrowers_changed=True, auc_signoff=0.7, auc_now=0.6) == (
        "world"
    )


@pytest.mark.parametrize(
    ("drop", "expected"),
    [(0.0, "threshold"), (AUC_DROP_RULE - 0.001, "threshold"), (AUC_DROP_RULE + 0.001, "model")],
)
def test_auc_rule_splits_model_from_threshold(drop, expected):
    now = 0.72 - drop
    got = triage(inputs_broken=False, borrowers_changed=False, auc_signoff=0.72, auc_now=now)
    assert got == expected


def test_every_class_has_a_question():
    assert set(TRIAGE_QUESTIONS) == set(TRIAGE_CLASSES)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"inputs_broken": "yes"}, TypeError),
        ({"auc_now": "0.7"}, TypeError),
        ({"auc_now": float("nan")}, ValueError),
        ({"auc_signoff": 1.5}, ValueError),
    ],
)
def test_bad_input_is_named(kwargs, error):
    args = {"inputs_broken": False, "borrowers_changed": False, "auc_signoff": 0.7, "auc_now": 0.7}
    with pytest.raises(error, match=next(iter(kwargs))):
        triage(**{**args, **kwargs})


def test_the_package_exports_the_retention_clock_where_it_lives():
    from lendlab import response
    from lendlab.response import decision_tree

    assert "RETENTION_MONTHS" in response.__all__
    assert response.RETENTION_MONTHS is decision_tree.RETENTION_MONTHS
    assert response.RETENTION_MONTHS == 25
