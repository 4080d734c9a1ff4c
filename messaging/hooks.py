"""Signal receivers that schedule messages when appointments and charts change."""
