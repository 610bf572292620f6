from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from tradewire_dashboard import backtests, history, metrics, views
from tradewire_dashboard.login_throttle import throttled

# The admin's own login form gets the same limits as ours.
admin.site.login = throttled(admin.site.login)

urlpatterns = [
    path("", views.control_room, name="control-room"),
    path("trades/", history.trade_history, name="trade-history"),
    path("trades.csv", history.trade_csv, name="trade-csv"),
    path("backtests/", backtests.backtest_list, name="backtests"),
    path("backtests/<str:name>/", backtests.backtest_page, name="backtest-page"),
    path("accounts/login/", throttled(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("metrics", metrics.metrics, name="metrics"),
]
