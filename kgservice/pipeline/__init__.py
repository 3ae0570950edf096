"""Pipeline stages over one :class:`kgservice.document.Document`; ``build.py`` declares their order."""
