"""csm-graph: a GraphQL back end for business-to-consumer customer service."""

__version__ = "0.1.0"
