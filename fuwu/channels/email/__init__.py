"""E-mail in and out: notices sent through Django's mailer (SMTP in production), mail read from
IMAP mailboxes by the worker or posted raw by an MTA, threaded onto the case it answers."""
