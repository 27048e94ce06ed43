from django.urls import path

from sales import views

app_name = "sales"
urlpatterns = [
    path("", views.tax_settings, name="taxes"),
]
