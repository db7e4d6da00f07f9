"""The terminal dashboard (`devsentry ui`, `devsentry serve --ui`), built on Textual.

At the top of the layering beside `cli/`: it reads through `browse/` and draws with `render/`,
and only the commands that open it import it (Textual is not loaded by any other command).
"""
