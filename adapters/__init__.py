"""Platform adapters: each turns its platform's events into core inbounds and renders replies."""
