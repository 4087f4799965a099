"""Compiled plans: registered documents answered without the generic executor
(`plan.py` compiles and runs them, `rules.py` says how each field is found,
`extension.py` runs them inside Strawberry's pipeline). `documents/` holds
the documents the clients ship, registered when the API starts."""
