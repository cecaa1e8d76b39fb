"""Django's Redis cache, keeping one client object per connection pool.

Django's backend builds a new redis.Redis object (and its table of ~170 response callbacks)
for every cache call; a login makes about ten calls. The connection pools were already
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


class PlatformRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient
