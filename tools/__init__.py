"""Developer tools: run the platform, send a demo batch, fake SMS provider, benchmark."""
