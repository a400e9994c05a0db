"""The suite's original helpers, kept as a thin shim over :mod:`argmap.testing` so that tests
written against them keep working: :func:`cases` draws a case as plain documents
(``{"model": …, "evidence": […]}``, plus ``"bibliography"`` when items cite) and
:func:`write_case` writes one. New tests use ``argmap.testing`` directly (``models()``,
``case_documents()``, ``evidence_sets()``, ``from_model()``)."""

from __future__ import annotations

from typing import Any

from hypothesis.strategies import SearchStrategy

from argmap.testing import CaseDocuments, case_documents


def cases(*, max_claims: int = 5, max_items: int = 6, max_parents: int = 2) -> SearchStrategy[dict[str, Any]]:
    """A random valid case as plain documents (see :func:`argmap.testing.case_documents`)."""
    return case_documents(max_claims=max_claims, max_items=max_items, max_parents=max_parents).map(CaseDocuments.as_dict)


def write_case(case: dict[str, Any], root: str, *, files: int = 1) -> str:
    """Write a case under ``root`` (items spread over ``files`` files); return the model's path."""
    return CaseDocuments.from_dict(case).write(root, files=files)
