"""Pruning methods, one module each, and what runs them.

A method's module owns everything about it: how it runs, its settings, its part of the
result's id, what it needs, its mask function, and how the report shows it. ``catalog``
lists the built-in modules; ``registry`` loads them (and a researcher's own methods) for
planning; jobs import only the method they run (``pruning.load_method``), so that an edit
to one method reruns only its results.
"""
