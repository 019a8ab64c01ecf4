"""一房一码 The page a police QR code opens, /qr/<token> (S5; usable 390 px wide).

Anyone: what the place is (community.qr.landing, no personal data) and the tenant's
self-registration (qr.self_register: pending until an officer verifies it). Not logged in: a
link to log in that comes back here. An officer with qr.residents: who is registered there,
for a stated purpose, masked unless unmasking is asked for and allowed (qr.registered
authorizes and audits). Staff who may report: a hazard with a photo (qr.hazard_draft through
the intake writer, the photo as the phone page attaches one). An unknown or rotated code: a
clear "no longer valid" page."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import events as ng_events
from nicegui import ui

from zhili.community import qr
from zhili.privacy.purpose import LEGAL_BASES, Purpose
from zhili.web.busy import Busy
from zhili.web.context import WebContext
from zhili.web.guard import PAGE_ACTIONS, PageCtx, visit
from zhili.web.layout import empty, frame
from zhili.web.qr_landing import (
    FIELDS,
    apply_decision,
    facts,
    hazard,
    login_href,
    parts_for,
    place_or_none,
    registration_error,
)
from zhili.web.qr_landing import register as register_tenant
from zhili.web.reporting import Photo, submit_draft

ACTION = "public"  # the code on the door is the capability; each action is authorized
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def register(web: WebContext) -> None:
    PAGE_ACTIONS["/qr/{token}"] = ACTION

    @ui.page("/qr/{token}")
    async def qr_page(request: Request, token: str, lang: str = "zh"):  # type: ignore[no-untyped-def]
        p = await visit(web, request, lang)
        await QrPage(web, p, token).build()


def visitor_header(p: PageCtx) -> None:
    """A visitor who is not logged in gets the title and the language, no navigation."""
    ui.query("body").style("background:#f5f7fa")
    with ui.header().classes("items-center justify-between bg-blue-900 py-1 px-3 no-wrap"):
        with ui.row().classes("items-center gap-3 no-wrap"):
            ui.label(p.t("brand")).classes("text-base font-bold")
            ui.label(p.t("qr_title")).classes("text-base").props('data-testid="page-title"')
        other = "en" if p.lang == "zh" else "zh"
        ui.link("English" if p.lang == "zh" else "中文", f"?lang={other}").classes(
            "text-white text-sm"
        )


class QrPage:
    def __init__(self, web: WebContext, p: PageCtx, token: str) -> None:
        self.web, self.p, self.token = web, p, token
        self.parts = parts_for(p.actor)
        self.form: dict[str, str] = dict.fromkeys(FIELDS, "")
        self.inputs: dict[str, Any] = {}
        self.done: dict[str, Any] | None = None
        self.purpose: dict[str, Any] = {"basis": "statutory_duty", "text": "", "unmask": False}
        self.listing: dict[str, Any] | None = None
        self.hz: dict[str, Any] = {"text": "", "severity": None}
        self.photo: Photo | None = None
        self.reported: str | None = None
        self.busy = Busy()  # one action at a time: a double tap registers or reports once

    async def build(self) -> None:
        p = self.p
        ui.add_head_html(VIEWPORT)
        if p.actor.authenticated:
            frame(p, "qr_title")
        else:
            visitor_header(p)
        place = await p.call_public(lambda s, a: place_or_none(s, self.token))
        with ui.column().classes("w-full max-w-[420px] mx-auto p-2 gap-3"):
            if place is None:
                self.invalid()
                return
            self.place_card(place)
            # An officer at the door came for the people and the hazards: those first.
            if self.parts.residents:
                with ui.card().classes("w-full"):
                    self.residents_form()
            elif p.actor.authenticated:
                ui.label(p.t("qr_no_rights")).classes("text-xs text-gray-600").props(
                    'data-testid="qr-no-rights"'
                )
            if self.parts.hazard:
                with ui.card().classes("w-full"):
                    self.hazard_form()
            with ui.card().classes("w-full"):
                self.registration_form(needs_room=place["kind"] == "building")
            if self.parts.login_link:
                with ui.card().classes("w-full"):
                    ui.link(p.t("qr_officer_login"), login_href(self.token, p.lang)).classes(
                        "text-base font-bold"
                    ).props('data-testid="qr-login"')
                    ui.label(p.t("qr_officer_hint")).classes("text-xs text-gray-600")

    def invalid(self) -> None:
        p = self.p
        with ui.card().classes("w-full items-center text-center").props('data-testid="qr-invalid"'):
            ui.icon("link_off", size="xl").classes("text-gray-500")
            ui.label(p.t("qr_invalid")).classes("text-lg font-bold text-red-700").props(
                'role="alert"'
            )
            ui.label(p.t("qr_invalid_text")).classes("text-sm")
            ui.link(p.t("nav_overview"), p.href("/overview")).classes("text-sm")

    def place_card(self, place: dict[str, Any]) -> None:
        p = self.p
        with ui.card().classes("w-full gap-1").props('data-testid="qr-place"'):
            ui.badge(p.t(f"qr_kind_{place['kind']}")).props('color="blue-8"')
            ui.label(place["label"]).classes("text-lg font-bold").props('data-testid="qr-label"')
            for key, value in facts(place):
                with ui.row().classes("w-full justify-between no-wrap text-sm"):
                    ui.label(p.t(key)).classes("text-gray-600")
                    ui.label(value)

    # -- anyone: the tenant registers -------------------------------------------------------
    def registration_form(self, needs_room: bool) -> None:
        p = self.p
        ui.label(p.t("qr_register")).classes("text-base font-bold")
        ui.label(p.t("qr_register_note")).classes("text-xs text-gray-600").props(
            'data-testid="qr-note"'
        )
        attrs = {
            "name": 'autocomplete="name"',
            "id_number": 'autocomplete="off" maxlength=18',
            "phone": 'type="tel" inputmode="tel" autocomplete="tel" maxlength=11',
            "room": 'autocomplete="off"',
        }
        for field in FIELDS:
            if field == "room" and not needs_room:
                continue
            self.inputs[field] = (
                ui.input(p.t(f"qr_{field}"))
                .bind_value(self.form, field)
                .props(f'dense outlined {attrs[field]} data-testid="qr-{field}"')
                .classes("w-full")
            )
        self.error = (
            ui.label("")
            .classes("text-sm text-red-700")
            .props('role="alert" data-testid="qr-error"')
        )
        self.error.set_visibility(False)
        self.busy.button(
            p.t("qr_submit"),
            icon="how_to_reg",
            on_click=lambda e: self.busy.run(e.sender, self.submit),
        ).props('color="primary" data-testid="qr-submit"').classes("w-full")
        self.registration_done()

    async def submit(self) -> None:
        p = self.p
        for box in self.inputs.values():
            box.error = None
        self.error.set_visibility(False)
        form = dict(self.form)
        out = await p.call_public(
            lambda s, a: register_tenant(s, self.web.privacy, a, self.token, form)
        )
        if isinstance(out, qr.BadRegistration):
            field, key, detail = registration_error(str(out))
            message = p.t(key) + (f"（{detail}）" if detail else "")
            if field in self.inputs:
                self.inputs[field].error = message
            self.error.text = f"{message}。{p.t('qr_fix')}"
            self.error.set_visibility(True)
            return
        if out is not None:
            self.done = out
            self.form.update(dict.fromkeys(FIELDS, ""))
            self.registration_done.refresh()

    @ui.refreshable_method
    def registration_done(self) -> None:
        p, done = self.p, self.done
        if done is None:
            return
        with (
            ui.column()
            .classes("w-full gap-0 bg-green-50 p-2 rounded")
            .props('role="status" data-testid="qr-registered"')
        ):
            ui.label(p.t("qr_registered" if done["created"] else "qr_again")).classes(
                "text-green-800 font-bold"
            )
            ui.label(f"{done['name']} · {done['id_number']} · {done['phone'] or ''}").classes(
                "text-xs"
            )
            ui.label(f"{done['place']} · {p.t('qr_' + done['status'])}").classes("text-xs")

    # -- officers: who is registered here --------------------------------------------------
    def residents_form(self) -> None:
        p = self.p
        ui.label(p.t("qr_residents")).classes("text-base font-bold")
        ui.label(p.t("purpose_prompt")).classes("text-xs text-orange-800")
        ui.select(LEGAL_BASES, label=p.t("col_basis")).bind_value(self.purpose, "basis").props(
            'dense outlined data-testid="qr-basis"'
        ).classes("w-full")
        ui.input(p.t("qr_purpose_text")).bind_value(self.purpose, "text").props(
            'dense outlined data-testid="qr-purpose"'
        ).classes("w-full")
        if self.parts.unmask:
            ui.checkbox(p.t("qr_unmask")).bind_value(self.purpose, "unmask").props(
                'dense data-testid="qr-unmask"'
            ).classes("text-sm")
        self.busy.button(
            p.t("qr_show"),
            icon="groups",
            on_click=lambda e: self.busy.run(e.sender, self.show_residents),
        ).props('data-testid="qr-show"').classes("w-full")
        self.residents_view()

    async def show_residents(self) -> None:
        p, f = self.p, self.purpose
        try:
            stated = Purpose(legal_basis=f["basis"], text=f["text"].strip())
        except ValueError as exc:
            ui.notify(str(exc), type="warning")
            return
        unmask = bool(f["unmask"]) and self.parts.unmask
        self.listing = await p.call(
            lambda s, a: qr.registered(s, self.web.privacy, a, self.token, stated, unmask)
        )
        self.residents_view.refresh()

    @ui.refreshable_method
    def residents_view(self) -> None:
        p, listing = self.p, self.listing
        if listing is None:
            return
        ui.label(
            f"{p.t('qr_verified')} {listing['registered']} · "
            f"{p.t('qr_pending')} {listing['pending']}"
        ).classes("text-xs text-gray-600").props('data-testid="qr-counts"')
        if not listing["items"]:
            empty(p.t("qr_nobody"))
            return
        for r in listing["items"]:
            with ui.column().classes("w-full gap-0 border-b py-1").props('data-testid="qr-person"'):
                with ui.row().classes("w-full justify-between no-wrap"):
                    ui.label(r["name"]).classes("font-bold")
                    ui.badge(p.t("qr_" + r["status"])).props(
                        f'color="{"green-8" if r["status"] == qr.VERIFIED else "orange-8"}"'
                    )
                ui.label(f"{r['id_number']} · {r['phone'] or '—'}").classes("text-xs")
                if r["place"] != listing["label"]:
                    ui.label(r["place"]).classes("text-xs text-gray-600")
                if r["status"] == qr.PENDING and self.parts.verify:
                    self.decision_row(r)

    def decision_row(self, r: dict[str, Any]) -> None:
        """At the door with the ID card in hand: verify, or reject saying why."""
        p, rid = self.p, r["id"]
        note = {"text": ""}
        ui.input(p.t("qr_reject_note")).bind_value(note, "text").props(
            f'dense outlined data-testid="qr-note-{rid}"'
        ).classes("w-full")
        with ui.row().classes("gap-1"):
            self.busy.button(
                p.t("qr_verify"),
                icon="verified",
                on_click=lambda e: self.busy.run(e.sender, lambda: self.decide(rid, True, note)),
            ).props(f'dense color=green-8 data-testid="qr-verify-{rid}"')
            self.busy.button(
                p.t("qr_reject"),
                icon="block",
                on_click=lambda e: self.busy.run(e.sender, lambda: self.decide(rid, False, note)),
            ).props(f'dense outline color=red-8 data-testid="qr-reject-{rid}"')

    async def decide(self, rid: int, verify: bool, note: dict[str, str]) -> None:
        p, text = self.p, note["text"].strip()
        if not verify and not text:
            ui.notify(p.t("qr_reject_needs_note"), type="warning")
            return
        done = await p.call(lambda s, a: qr.decide(s, self.web.privacy, a, rid, verify, text))
        if done is None or self.listing is None:
            return  # p.call said what went wrong
        self.listing = apply_decision(self.listing, rid, done["status"])
        ui.notify(p.t("qr_" + done["status"]), type="positive" if verify else "info")
        self.residents_view.refresh()

    # -- staff: a hazard with a photo -------------------------------------------------------
    def hazard_form(self) -> None:
        p = self.p
        ui.label(p.t("qr_hazard")).classes("text-base font-bold")
        ui.textarea(p.t("qr_hazard_text")).bind_value(self.hz, "text").props(
            'dense outlined rows=2 data-testid="qr-hazard-text"'
        ).classes("w-full")
        levels = {i: p.t(f"c_sev{i}") for i in (1, 2, 3, 4)}
        ui.select(levels, label=p.t("severity"), clearable=True).bind_value(
            self.hz, "severity"
        ).props('dense outlined data-testid="qr-severity"').classes("w-full")
        self.uploader = (
            ui.upload(
                label=p.t("photo"),
                auto_upload=True,
                max_file_size=10 * 1024 * 1024,
                on_upload=self.got,
            )
            .props('accept="image/*" capture="environment" data-testid="qr-photo"')
            .classes("w-full")
        )
        self.busy.button(
            p.t("qr_hazard"),
            icon="report",
            on_click=lambda e: self.busy.run(e.sender, self.file_hazard),
        ).props('color="negative" data-testid="qr-hazard-submit"').classes("w-full")
        self.hazard_done()

    async def got(self, e: ng_events.UploadEventArguments) -> None:
        self.photo = Photo(await e.file.read(), e.file.content_type, e.file.name)

    async def file_hazard(self) -> None:
        p = self.p
        text = self.hz["text"].strip()
        if len(text) < 2:
            ui.notify(p.t("qr_need_text"), type="warning")
            return
        place = await p.call(lambda s, a: qr.place_by_token(s, self.token))
        if place is None:
            return
        severity = self.hz["severity"]
        state = self.web.events.state
        outcome = await submit_draft(
            p, lambda a: hazard(state, a, place, text, severity), self.photo
        )
        if outcome is not None:
            ui.notify(f"{p.t('reported')} {outcome.code}", type="positive")
            self.reported = outcome.code
            self.hz.update(text="", severity=None)
            self.photo = None
            self.uploader.reset()
            self.hazard_done.refresh()

    @ui.refreshable_method
    def hazard_done(self) -> None:
        if self.reported:
            ui.label(f"{self.p.t('reported')} {self.reported}").classes(
                "text-green-800 font-bold"
            ).props('role="status" data-testid="qr-reported"')
