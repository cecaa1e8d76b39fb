"""/scim/v2/ (CONTRACT.md): the platform's SCIM 2.0 service (scim_views.py)."""

from django.urls import path

from idp.api import scim_views as views

scim_urlpatterns = [
    path("ServiceProviderConfig", views.service_provider_config),
    path("Schemas", views.schemas),
    path("Schemas/<str:schema_id>", views.schemas),
    path("ResourceTypes", views.resource_types),
    path("ResourceTypes/<str:type_id>", views.resource_types),
    path(".search", views.search_users),  # the root search: Users are the one resource type announced
    path("Users", views.users),
    path("Users/.search", views.search_users),
    path("Users/<str:pk>", views.user),
    path("Groups", views.groups),
    path("Groups/.search", views.search_groups),
    path("Groups/<str:pk>", views.group),
    path("<path:rest>", views.not_found),
]
