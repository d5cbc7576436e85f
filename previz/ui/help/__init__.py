"""Help pages shipped with the app (package data)."""
