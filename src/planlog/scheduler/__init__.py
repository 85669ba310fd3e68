"""Deadline reminders: when to remind (policy), on which days (workdays), what to say
(messages) and how to deliver it (delivery)."""
