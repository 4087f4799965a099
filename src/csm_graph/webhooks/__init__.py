"""Signed webhooks: endpoints, and deliveries sent through an outbox."""
