"""How much of a request body the platform reads, and what becomes of the files in it.

- A body larger than its path allows is refused by its Content-Length before a byte is read
  (WSGI never hands over more than Content-Length says): views marked @accepts_files take up to
  IDP_MAX_UPLOAD_REQUEST_BYTES, every other path DATA_UPLOAD_MAX_MEMORY_SIZE. A person sees the
  page again with a sentence saying why (status 413); a machine endpoint answers JSON.
- No file part is ever written to disk. A view that takes files keeps each in memory up to
  IDP_UPLOAD_MAX_BYTES (the admin's attachments: IDP_ADMIN_UPLOAD_MAX_BYTES); a larger one is
  read past and arrives as a TooLargeFile (its size, no content), so the form names the file and
  keeps every other field. Every other view reads past file parts and drops them.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

REFUSED_KEY = "idp.body_refused"  # in request.META: the size of a body that was not read


def accepts_files(view):
    """Marks a view whose forms upload documents."""
    view.accepts_files = True
    return view


class TooLargeFile(UploadedFile):
    """A file part over the limit: its name and size, none of its bytes."""

    def __init__(self, name, content_type, size, charset=None):
        super().__init__(BytesIO(), name, content_type, size, charset)


class KeepSmallFiles(FileUploadHandler):
    """Each file in memory up to `limit` bytes; a larger one becomes a TooLargeFile."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer, self.received = BytesIO(), 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received <= self.limit:
            self.buffer.write(raw_data)
        else:
            self.buffer = None
        return None

    def file_complete(self, file_size):
        if self.buffer is None:
            return TooLargeFile(self.file_name, self.content_type, file_size, self.charset)
        self.buffer.seek(0)
        return InMemoryUploadedFile(self.buffer, self.field_name, self.file_name, self.content_type, file_size,
                                    self.charset, self.content_type_extra)


class DropFiles(FileUploadHandler):
    """For views that take no files: file parts are read past and forgotten."""

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None


def _file_limit(request) -> int | None:
    """How large each file sent to this path may be; None when its view takes no files."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if getattr(match.func, "accepts_files", False):
        return settings.IDP_UPLOAD_MAX_BYTES
    return settings.IDP_ADMIN_UPLOAD_MAX_BYTES if match.namespace == "admin" else None


def content_length(meta) -> int | None:
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return None


class BodyLimitMiddleware:
    """Pages: the limit of the view, the form again when it is exceeded, and the upload handlers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = content_length(request.META)
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        file_limit = None
        if multipart or (length or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            file_limit = _file_limit(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if file_limit is None else settings.IDP_MAX_UPLOAD_REQUEST_BYTES
        if length is None or length > limit:
            return self._page_again(request, length)
        request.upload_handlers = [DropFiles(request) if file_limit is None else KeepSmallFiles(request, file_limit)]
        return self.get_response(request)

    def _page_again(self, request, length):
        """The page as a GET, with a sentence saying the body was not read (core/context_processors);
        the JSON APIs under /api/ answer JSON."""
        if request.path.startswith("/api/"):
            return too_large_json()
        request.method = "GET"  # the request log still says POST (REQUEST_METHOD)
        request.META[REFUSED_KEY] = length or 0
        response = self.get_response(request)
        if response.status_code == 200:
            response.status_code = 413
        response["Connection"] = "close"  # the unread body stays in the connection
        return response


def too_large_json() -> JsonResponse:
    response = JsonResponse({"error": "invalid_request", "error_description": _("请求内容过大")}, status=413)
    response["Connection"] = "close"
    return response


def refused_body_notice(request) -> str:
    """The sentence shown above a page whose form was sent too large to read."""
    size = request.META.get(REFUSED_KEY)
    if size is None:
        return ""
    limit = settings.IDP_UPLOAD_MAX_BYTES / (1024 * 1024)
    return _("您提交的内容(%(size).1f MB)过大,未被接收,填写的内容需要重新填写。"
             "每个文件不能超过 %(limit)g MB,照片请先压缩或缩小后再上传。") % {
        "size": size / (1024 * 1024), "limit": limit}
