from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idp import review
from idp.audit.log import record
from idp.audit.models import Event
from idp.core.http import client_ip
from idp.core.request_body import accepts_files
from idp.realname import services, uploads
from idp.realname.models import EvidenceFile, Slot, Submission

SAMPLES = {
    Slot.ID_FRONT: "id_front.png",
    Slot.ID_BACK: "id_back.png",
    Slot.ORG_CERTIFICATE: "org_certificate.png",
    Slot.LR_DOCUMENT: "lr_document.png",
    Slot.OTHER: "other.png",
}


def _latest_submission(account) -> Submission | None:
    return (Submission.objects.filter(account=account).prefetch_related("files")
            .order_by("-submitted_at", "-id").first())


@accepts_files
@login_required
def upload(request):
    """上传自然人信息 / 上传法人信息: one row per slot (样式, 上传, 预览) and one 提交."""
    account = request.user
    slots, required = services.slots_for(account)
    errors = {}
    if request.method == "POST":
        try:
            services.submit_documents(account=account, files=request.FILES, actor=account,
                                      ip=client_ip(request))
        except uploads.InvalidUploads as refused:
            errors = refused.errors
        except services.DocumentTaken:
            pass  # the page says why (below)
        except services.VerificationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("材料已提交,请等待人工审核,审核结果将以短信通知您"))
            return redirect("realname-upload")
    latest = _latest_submission(account)
    stored = {f.slot: f for f in latest.files.all()} if latest else {}
    read_only = account.is_realname_verified or (
        latest is not None and latest.status == "pending")
    taken = None  # documents verified on another account could never be approved: say so before any upload
    if not read_only and (holder := services.document_holder(account)):
        taken, read_only = services.taken_message(holder), True
    rows = [{"slot": slot, "label": Slot(slot).label, "required": slot in required,
             "sample": f"realname/samples/{SAMPLES[slot]}", "accept": ".jpg,.jpeg,.png" +
             (",.pdf" if slot in uploads.PDF_SLOTS else ""), "types": uploads.allowed_types(slot),
             "stored": stored.get(slot), "error": errors.get(slot)} for slot in slots]
    return render(request, "realname/upload.html", {
        "section": "profile", "rows": rows, "read_only": read_only, "latest": latest, "taken": taken,
        "max_mb": f"{settings.IDP_UPLOAD_MAX_BYTES / (1024 * 1024):g}", "max_bytes": settings.IDP_UPLOAD_MAX_BYTES,
    })


@login_required
@require_POST
def check_again(request):
    """重新核验: ask the registry again (after it was unavailable, or data was corrected)."""
    try:
        services.check_again(account=request.user, ip=client_ip(request))
    except services.TooManyChecks as refused:
        messages.error(request, str(refused))
        return redirect("profile")
    request.user.refresh_from_db()
    messages.info(request, _("实名认证状态:%(status)s") % {"status": request.user.get_realname_status_display()})
    return redirect("profile")


@login_required
def evidence(request, file_id):
    """An uploaded document, for its owner and for the reviewer who has the case open or decided
    it (each such view audited); 404 for everyone else so the address tells nothing."""
    try:
        item = EvidenceFile.objects.select_related("submission").get(pk=file_id)
    except EvidenceFile.DoesNotExist:
        raise Http404 from None
    owner = item.submission.account_id == request.user.pk
    if not (owner or request.user.is_staff and review.may_see_documents(item.submission, request.user)):
        raise Http404
    if not owner:
        record(Event.EVIDENCE_VIEWED, account=item.submission.account, actor=request.user,
               ip=client_ip(request), file=str(item.pk), slot=item.slot)
    return uploads.private_file_response(item.storage_name, item.content_type)


def sample(request, slot):
    """样式: what a document of this slot should look like, on a page with the way back."""
    if slot not in SAMPLES:
        raise Http404
    return render(request, "realname/sample.html", {
        "label": Slot(slot).label, "image": f"realname/samples/{SAMPLES[slot]}", "types": uploads.allowed_types(slot)})
