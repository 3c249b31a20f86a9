"""Applicant notifications: every final decision reaches the applicant by e-mail, once.

The stage joins each decision with the sealed contact of its application case (``join.py``),
writes the e-mail from the decision's own fields (``compose.py``) and sends it through a
``Mailer`` adapter (outbox directory, SMTP or Amazon SES) inside ``Once`` (``handler.py``).
"""
