"""The session store on Redis: Django's cache store in fewer round trips.

Django's store makes sure a new key is free (EXISTS) before reserving it with the empty session
(SET NX), and reads a session back before each save to be sure it still exists (GET, then SET):
four round trips for a login. Here a new key is reserved by the one SET NX that writes the session
at the end of the request (a key taken meanwhile — 32 random characters: not in practice — is
replaced by another before the cookie is set), and a save is one SET XX: a session ended
elsewhere meanwhile (退出其他设备, a logout) is still not brought back — the save fails as before.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string

NEW_KEY_TRIES = 100


class SessionStore(CacheSessionStore):
    _key_unsaved = False

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)  # free or not, the SET NX below decides

    def create(self) -> None:
        self._session_key = self._get_new_session_key()
        self._key_unsaved = True
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        if must_create or self._key_unsaved:
            self._save_new(must_create)
        elif not self._cache.set_existing(self.cache_key, self._get_session(), self.get_expiry_age()):
            raise UpdateError

    def _save_new(self, must_create: bool) -> None:
        for _ in range(NEW_KEY_TRIES):
            if self._cache.add(self.cache_key, self._get_session(no_load=True), self.get_expiry_age()):
                self._key_unsaved = False
                return
            if must_create:
                raise CreateError
            self._session_key = self._get_new_session_key()
        raise RuntimeError("no free session key")
