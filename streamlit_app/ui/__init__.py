"""Rendering shared by the pages: `format` (words and numbers), `charts`, `network` (the improvement plan's
links), `tables`, `page` (the scaffold every page runs in) and `sign_in`. No queries here."""
