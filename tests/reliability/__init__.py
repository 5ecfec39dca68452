"""Reliability tests (issue 8): many processes on one file, crashes, maintenance,
migrations, the audit trail, bad input and the shared file's safety."""
