"""Stage 7, the workflow: a case + what its researcher does → new evidence, logs, diffs, live reports.

``journal`` (``add`` a checked evidence item; the belief log ``update --log`` and ``history``),
``watch`` (regenerate the report on every change, with a live-reloading server), ``revisions``
(``diff`` between git revisions or evidence folders; ``history --git``) and ``scaffold``
(``new``). Built on every stage before it.
"""
