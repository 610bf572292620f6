from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "tradewire_dashboard"
    label = "dashboard"
    verbose_name = "tradewire dashboard"
    default_auto_field = "django.db.models.BigAutoField"
