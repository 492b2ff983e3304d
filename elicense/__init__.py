"""Composition layer: the ``elicense`` command and the all-in-one app for a laptop.

It is the only package that imports all three services; the services never import it.
"""
