"""Helpers that several apps share: the clock, formatting, absolute URLs, emails, htmx.

This package imports no app of the project (a test checks it), so any app may
import it without creating a cycle.
"""
