"""Every sentence a member reads: Jinja templates, one folder per locale."""
