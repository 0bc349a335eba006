"""pytest plugin of topview-mock (fixtures arrive with the plugin issue)."""
