"""SLA compliance figures and their exports."""
