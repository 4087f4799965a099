"""GraphQL of inbound email: the messages taken in, and processing one again."""
