"""The test account and address the in-process fake and the live server use unless told otherwise.

Apart from the fake itself so that the pytest plugin can name them without importing it.
"""

BASE_URL = "https://api.topview.ai"
DEFAULT_UID = "uid-test"
DEFAULT_API_KEY = "test-key"
