"""The caller's own notifications: `GET /api/me/notifications` and `POST .../{id}/read`."""

from __future__ import annotations

import azure.functions as func

from shared.api import models
from shared.api.operations import operation
from shared.api.params import PAGED, UNREAD
from shared.auth.gate import authenticated_route
from shared.auth.principal import Principal
from shared.http.request import flag_param, page_params
from shared.http.response import json_response, page_body
from shared.notifications import Notification, list_notifications, mark_read
from shared.services import services

bp = func.Blueprint()


@bp.route(route="api/me/notifications", methods=["GET"])
@operation("List my notifications", response=models.NotificationPage, query=(*PAGED, UNREAD))
@authenticated_route()
def my_notifications(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """Newest first; `unread=true` leaves out those already read; paged."""
    size, token = page_params(req)
    page = list_notifications(
        services().notifications,
        principal.key,
        unread_only=flag_param(req, "unread"),
        page_size=size,
        continuation=token,
    )
    return json_response(page_body(page, Notification.to_api))


@bp.route(route="api/me/notifications/{notificationId}/read", methods=["POST"])
@operation("Mark a notification read", response=models.Notification, visibility="advanced")
@authenticated_route()
def read_notification(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    """Marks one of the caller's notifications read; anyone else's ID is a 404."""
    notification = mark_read(services().notifications, principal.key, req.route_params["notificationId"])
    return json_response(notification.to_api())
