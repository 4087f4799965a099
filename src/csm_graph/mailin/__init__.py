"""Email in: messages taken by SMTP or IMAP, stored raw, then made cases and comments."""
