"""The bundled sample corpus and the server that publishes it: the demo's web and the tests' fixtures.

``corpus`` reads the invented outlets and articles (package data); ``feeds`` and ``pages`` render
them as an outlet's feed and article pages would look; ``server`` serves them on 127.0.0.1.
"""
