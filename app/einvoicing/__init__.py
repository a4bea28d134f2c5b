"""E-invoicing through an approved platform (AFNOR XP Z12-013 Flow and Directory services),
life-cycle statuses, e-reporting, Chorus Pro, and a reference platform for tests and demos.
See docs/EINVOICING.md for the versions of the specifications followed."""
