"""The library behind the inspection commands, the UI and MCP: finding, listing, following and
shaping what the store holds; views (`render/`) and commands (`cli/`) stay thin on top."""
