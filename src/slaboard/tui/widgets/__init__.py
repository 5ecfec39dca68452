"""The widgets the screens are built of: the SLA table, the wall's tiles, dialogs."""
