"""MCP for coding agents: devsentry's tools over stdio (`devsentry mcp`) and Streamable HTTP
(`/mcp` on `devsentry serve`'s port).

A front end, like `cli/`: it sits on the browse library (`browse/answers.py` says what each
tool answers) and is the only code that imports the `mcp` SDK, lazily, so no other command
starts slower. `tools.py` is the server (tools, resources), `http.py` the endpoint serve
mounts, `stdio.py` the `devsentry mcp` loop.
"""
