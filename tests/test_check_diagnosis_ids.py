"""One vocabulary of diagnosis ids: the checker and lesson packs must read the same one."""

from tutor import diagnosis_ids
from tutor.check import DIAGNOSES, matrix
from tutor.packs import models


def test_the_checker_and_packs_share_the_graph_diagnoses():
    assert DIAGNOSES == diagnosis_ids.BUILTIN_DIAGNOSES
    assert set(models.BUILTIN_DIAGNOSES) == set(DIAGNOSES)


def test_the_checker_and_packs_share_the_layer_diagnoses():
    assert matrix.LAYER_DIAGNOSES == diagnosis_ids.LAYER_DIAGNOSES
    assert set(models.LAYER_DIAGNOSES) == set(matrix.ALL_LAYER_DIAGNOSES)
    assert set(models.LAYER_DIAGNOSES) == set(matrix.LAYER_DIAGNOSES) | set(matrix.SHAPE_DIAGNOSES)


def test_the_vocabulary_has_no_repeats():
    for ids in (diagnosis_ids.BUILTIN_DIAGNOSES, diagnosis_ids.LAYER_DIAGNOSES, diagnosis_ids.ALL_LAYER_DIAGNOSES):
        assert len(ids) == len(set(ids))
