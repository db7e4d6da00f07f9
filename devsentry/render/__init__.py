"""Rich views only: every renderer takes typed structs and returns something to print; payload
text enters through `render.text` and never as markup."""
