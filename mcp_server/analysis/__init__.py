"""Pure analysis: data in, result out. No I/O, no MCP; every backend's data goes through here."""
