"""GraphQL of the webhooks domain."""
