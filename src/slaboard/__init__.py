"""slaboard: a live SLA board for the operators of a Managed Service Provider."""

__version__ = "0.1.0"
