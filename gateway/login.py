"""The login form: the console token in, a session cookie out; logout clears it."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gateway.auth import SESSION_COOKIE, SESSION_SECONDS, ConsoleAuth, safe_next
from gateway.security import same_origin

MAX_FORM_BYTES = 4096


def login_router(auth: ConsoleAuth, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form(request: Request, next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
        context = {
            "next": safe_next(next_path),
            "error": error,
            "enabled": bool(auth.token),
            "proxy": bool(auth.proxy_header),
        }
        return templates.TemplateResponse(request, "login.html", context, status_code=status)

    @router.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, next: str = "/dashboard") -> HTMLResponse:
        return form(request, next)

    @router.post("/login")
    async def login(request: Request) -> Response:
        body = await request.body()
        fields = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        next_path = fields.get("next", ["/dashboard"])[0]
        if not same_origin(request):
            return form(request, next_path, "This form must be sent from the console itself.", 403)
        if not auth.token_matches(fields.get("token", [""])[0].strip()):
            return form(request, next_path, "Wrong token.", 401)
        response = RedirectResponse(safe_next(next_path), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            auth.new_session(),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return response

    return router
