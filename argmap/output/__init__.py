"""Stage 4, outputs: analysed results → files a reader sees.

``diagram`` (the argument map, Graphviz), ``plots`` (trajectory, tornado, history; matplotlib)
and ``report`` (HTML, Markdown and LaTeX from the Jinja2 ``templates/``). Outputs compute no
probability of their own: they take beliefs and analyses from the stages before.
"""
