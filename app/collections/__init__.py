"""Collections: aged balance of the open invoices, dunning levels, reminders and penalties."""
