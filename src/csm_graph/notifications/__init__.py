"""Emails: the outbox every domain writes to, and the mailer that drains it."""
