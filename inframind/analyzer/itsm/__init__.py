"""Tickets from incidents: Jira issues and ServiceNow incidents, opened, updated and resolved from
Alertmanager's webhook to the analyzer (:mod:`.sync`), one ticket per incident and system."""
