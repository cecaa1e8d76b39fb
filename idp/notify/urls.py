"""获取验证码 (/api/sms/send)."""

from django.urls import path

from idp.notify import views

api_urlpatterns = [path("sms/send", views.send_sms_code, name="sms-send")]
