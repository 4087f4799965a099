"""Erasure requests, erasure and legal holds in the API."""
