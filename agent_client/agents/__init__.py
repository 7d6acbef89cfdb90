"""The six agents, one module each: prompt, tools, payload and factory."""
