"""Stage 5, other tools' formats: a model and its beliefs → Argdown, AIF, BIF/XMLBIF, JSON, and back.

``export`` writes the model, its map and its beliefs for other tools; ``importer`` turns an
Argdown map or a BIF/XMLBIF network into a model file (checked by :mod:`argmap.loader` before it
is written). Imports the stages before it, never the verification or the workflow.
"""
