from django.urls import path

from idp.notify import views

urlpatterns = [path("sms/send", views.send_sms_code, name="sms-send")]
