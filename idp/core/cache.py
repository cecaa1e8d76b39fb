"""Django's Redis cache, keeping one client object per connection pool, with the two writes
Django's API lacks and the platform makes on every login: a counter in one round trip
(core/ratelimit.py) and a write only where the key exists (core/sessions.py).

Django's backend builds a new redis.Redis object (and its table of ~170 response callbacks)
for every cache call, and a request may make several. The connection pools were already
shared, so reusing the client objects changes nothing but the cost.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from idp.core import redis_url


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def _get_connection_pool(self, write):
        """A plain URL's pool, or a Sentinel-managed one that follows the master (core/redis_url.py)."""
        index = self._get_connection_pool_index(write)
        if index not in self._pools:
            self._pools[index] = redis_url.connection_pool(self._servers[index], **self._pool_options)
        return self._pools[index]

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


# INCR, and the window's expiry when the count starts: an INCR alone on a key that expired between
# two commands would make a counter that never expires.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class PlatformRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient
        self._hit_script = None

    def hit(self, key: str, window: int) -> int:
        """Count one event at `key` in a window of `window` seconds that starts with the first: the count."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        if self._hit_script is None:
            self._hit_script = client.register_script(_HIT)
        return int(self._hit_script(keys=[key], args=[window], client=client))

    def set_existing(self, key: str, value, timeout: int) -> bool:
        """Write `key` only if it exists (SET XX); whether it did."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        return bool(client.set(key, self._cache._serializer.dumps(value), xx=True,
                               ex=self.get_backend_timeout(timeout)))
