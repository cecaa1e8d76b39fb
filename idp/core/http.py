def client_ip(request) -> str:
    """The peer address. A deployment behind a proxy sets REMOTE_ADDR from the proxy header
    in the proxy or WSGI server, never from a header the client controls."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
