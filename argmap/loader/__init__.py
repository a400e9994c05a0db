"""Stage 1, loading: model and evidence files (YAML) → a validated :class:`~argmap.model.Model`.

``yaml_lines`` parses YAML safely into values that remember their file and line; ``reader``
turns them into the attrs objects of :mod:`argmap.model`, checking what one file can show;
``validate`` checks what needs the whole model (ids, references, cycles, tables) and
:func:`~argmap.loader.validate.load` runs both; ``schema`` is the JSON Schema of the files.
Imports only the ground (:mod:`argmap.model`, :mod:`argmap.errors`, :mod:`argmap.scales`).
"""
