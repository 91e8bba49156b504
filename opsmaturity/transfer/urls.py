from django.urls import path

from . import views

app_name = "transfer"

urlpatterns = [
    path("import/", views.import_start, name="import"),
    path("import/template.<str:fmt>", views.import_template, name="template"),
    path("export/", views.export_operations, name="export"),
    path("import/<str:token>/", views.import_preview, name="preview"),
    path("import/<str:token>/confirm/", views.import_confirm, name="confirm"),
    path("import/<str:token>/progress/", views.import_progress, name="progress"),
]
