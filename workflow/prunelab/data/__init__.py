"""The datasets: what they are (checksums), where they come from, and reading them."""
