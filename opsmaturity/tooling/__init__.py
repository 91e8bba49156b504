"""Tooling for developers and demos: demo data, the dev runner and the benchmark.

A Django app only so that its management commands (``seed_demo``, ``rundev``,
``bench``) are found. No app of the project imports it (a test checks it).
"""
